/**
 * Store URLs: which database a subsystem keeps its tables in.
 *
 * - `sqlite:<file>` — an embedded SQLite file (created with its directory); `sqlite::memory:` for a
 *   throw-away in-memory database.
 * - `postgres://user@host:port/db` (or `postgresql://`) — a PostgreSQL server. The extra query
 *   parameter `schema=<name>` puts every table in that schema (created when missing); tests use it
 *   to isolate runs that share one server.
 */
import path from "node:path";
import { DecisioningError } from "../errors";

export const DEFAULT_DATA_DIR = ".odd";
export const DEFAULT_SQLITE_FILE = "odd.db";
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The two SQL engines a store URL can name. */
export type SqlDialect = "sqlite" | "postgres";

export type StoreLocation =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; connectionString: string; schema: string };

function invalidStore(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option: "store" } });
}

/** The default store: an SQLite file in the data directory. */
export function defaultStoreUrl(dataDir: string = DEFAULT_DATA_DIR): string {
  return `sqlite:${path.resolve(dataDir, DEFAULT_SQLITE_FILE)}`;
}

/** Parses a store URL; relative SQLite paths resolve against `baseDir` (default: the working directory). */
export function parseStoreUrl(url: string, baseDir: string = process.cwd()): StoreLocation {
  if (/^sqlite:/i.test(url)) {
    const rest = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (rest === "") throw invalidStore('store "sqlite:" needs a file, e.g. sqlite:./.odd/odd.db');
    if (rest === ":memory:") return { kind: "sqlite", file: ":memory:" };
    return { kind: "sqlite", file: path.resolve(baseDir, rest) };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidStore("store is not a valid postgres:// URL");
    }
    const schema = parsed.searchParams.get("schema") ?? "public";
    if (!SCHEMA_NAME.test(schema)) {
      throw invalidStore(`store schema must be a lowercase SQL identifier, got "${schema}"`);
    }
    parsed.searchParams.delete("schema");
    return { kind: "postgres", connectionString: parsed.toString(), schema };
  }
  throw invalidStore('store must be "sqlite:<file>" or a postgres:// URL');
}

/** The store URL without credentials, for logs. */
export function describeStore(location: StoreLocation): string {
  if (location.kind === "sqlite") return `sqlite:${location.file}`;
  const url = new URL(location.connectionString);
  url.password = "";
  return `${url.protocol}//${url.username ? `${url.username}@` : ""}${url.host}${url.pathname} (schema ${location.schema})`;
}
