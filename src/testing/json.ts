import { DecisioningError } from "../errors";

/** A JSON value: what offers, VEC action content and json-logic conditions are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(["__proto__"]);

/** Throws ODE_ERR_INVALID_OPTION with `where` as context. */
export function invalid(where: string, message: string, details?: Record<string, unknown>): never {
  throw new DecisioningError("ODE_ERR_INVALID_OPTION", `${where}: ${message}`, details ? { details } : {});
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of `value` made only of JSON values. Anything JSON cannot represent faithfully
 * (undefined, functions, NaN, class instances, cycles, `__proto__` keys) is rejected, so a
 * built artifact survives `JSON.stringify`/`JSON.parse` unchanged and shares nothing with the input.
 */
export function cloneJson(value: unknown, where: string, path = "$", depth = 0): JsonValue {
  if (depth > MAX_DEPTH) invalid(where, `${path} is nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) invalid(where, `${path} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => cloneJson(item, where, `${path}[${i}]`, depth + 1));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) invalid(where, `${path} uses the forbidden key "${key}"`);
      const item = value[key];
      if (item === undefined) continue;
      out[key] = cloneJson(item, where, `${path}.${key}`, depth + 1);
    }
    return out;
  }
  if (value instanceof Date) invalid(where, `${path} is a Date; pass date.toISOString() or a timestamp`);
  return invalid(where, `${path} is not a JSON value (${typeof value})`);
}

/** Canonical text of a JSON value (object keys in insertion order, as JSON.stringify). */
export function jsonKey(value: JsonValue): string {
  return JSON.stringify(value);
}
