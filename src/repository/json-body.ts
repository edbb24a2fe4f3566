/**
 * Untrusted JSON: parsed with JSON.parse (which never touches prototypes), then walked once,
 * iteratively, to bound nesting depth and the number of values and to refuse the keys that
 * pollute prototypes when objects are later copied by assignment (`__proto__`, `constructor`,
 * `prototype`). A body that fails any check is refused whole (400) and nothing is stored.
 */
import { repoError } from "./problem";

export const MAX_DEPTH = 32;
export const MAX_VALUES = 100_000;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const invalidBody = (message: string) => repoError("ODE_ERR_REPO_INVALID_BODY", 400, message);

/** Throws ODE_ERR_REPO_INVALID_BODY when `value` is too deep, too large or has a forbidden key. */
export function assertSafeJson(value: unknown, what = "body"): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let count = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++count > MAX_VALUES) throw invalidBody(`The ${what} has more than ${MAX_VALUES} values`);
    if (node === null || typeof node !== "object") continue;
    if (depth >= MAX_DEPTH) throw invalidBody(`The ${what} is nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) throw invalidBody(`The key "${key}" is not allowed in the ${what}`);
      stack.push([(node as Record<string, unknown>)[key], depth + 1]);
    }
  }
}

/** Parses a request body; throws ODE_ERR_REPO_INVALID_BODY (400) on malformed or unsafe JSON. */
export function parseJsonBody(text: string | undefined): unknown {
  if (text === undefined || text.trim() === "") throw invalidBody("The request body is empty; send a JSON document");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidBody(`The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  assertSafeJson(value);
  return value;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
