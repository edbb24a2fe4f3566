/**
 * Settings of the repository in `odd serve` (flags win over the environment; docs/repository.md).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { DecisioningError } from "../errors";
import { DEFAULT_DATA_DIR, defaultStoreUrl, parseStoreUrl } from "../storage";
import { DEFAULT_XCORE_PREFIX } from "./http/plugin";
import type { DeleteMode } from "./service";

export const REPOSITORY_SETTINGS = [
  { flag: "store", env: "ODD_STORE", type: "string", help: "sqlite:<file> or postgres://… (default sqlite:<data-dir>/odd.db)" },
  { flag: "data-dir", env: "ODD_DATA_DIR", type: "string", help: `directory of the embedded store (default ${DEFAULT_DATA_DIR})` },
  { flag: "delete-mode", env: "ODD_DELETE_MODE", type: "string", help: "sync | async: DELETE answers 200/409, or 202 + an operation to poll (default sync)" },
  { flag: "delete-pending-polls", env: "ODD_DELETE_PENDING_POLLS", type: "string", help: "polls an async delete stays pending (tests; default 0)" },
  { flag: "schema", env: "ODD_SCHEMAS", type: "string", multiple: true, help: "extra JSON Schema file ($id, meta:extends); repeatable (env: comma-separated)" },
  { flag: "xcore-path", env: "ODD_XCORE_PATH", type: "string", help: `mount point of the repository API (default ${DEFAULT_XCORE_PREFIX})` },
] as const;

export interface RepositoryConfig {
  store: string;
  deleteMode: DeleteMode;
  deletePendingPolls: number;
  schemas: Record<string, unknown>[];
  mount: string;
}

function invalid(option: string, message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option } });
}

function readSchema(file: string): Record<string, unknown> {
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path.resolve(file), "utf8"));
  } catch (err) {
    throw invalid("schema", `Cannot read the schema file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) throw invalid("schema", `${file} is not a JSON Schema object`);
  return schema as Record<string, unknown>;
}

export function resolveRepositoryConfig(flags: Record<string, unknown>, env: Record<string, string | undefined>): RepositoryConfig {
  const get = (flag: string, envName: string) => {
    const value = flags[flag];
    if (typeof value === "string") return value;
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const store = get("store", "ODD_STORE") ?? defaultStoreUrl(get("data-dir", "ODD_DATA_DIR") ?? DEFAULT_DATA_DIR);
  parseStoreUrl(store);
  const mode = get("delete-mode", "ODD_DELETE_MODE") ?? "sync";
  if (mode !== "sync" && mode !== "async") throw invalid("delete-mode", `delete-mode must be sync or async, got "${mode}"`);
  const polls = get("delete-pending-polls", "ODD_DELETE_PENDING_POLLS") ?? "0";
  if (!/^\d{1,4}$/.test(polls)) throw invalid("delete-pending-polls", `delete-pending-polls must be an integer 0-9999, got "${polls}"`);
  const flagSchemas = flags.schema;
  const files = Array.isArray(flagSchemas)
    ? (flagSchemas as string[])
    : typeof flagSchemas === "string"
      ? [flagSchemas]
      : (env.ODD_SCHEMAS ?? "").split(",").filter((f) => f.trim() !== "");
  const mount = get("xcore-path", "ODD_XCORE_PATH") ?? DEFAULT_XCORE_PREFIX;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(mount)) throw invalid("xcore-path", `xcore-path must be a path like ${DEFAULT_XCORE_PREFIX}`);
  return { store, deleteMode: mode, deletePendingPolls: Number(polls), schemas: files.map(readSchema), mount };
}
