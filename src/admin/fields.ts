/**
 * Field readers for Admin API bodies: each checks one value and throws a 400 naming the field
 * (`meta.field`), so every validation message says exactly what is wrong and where.
 */
import { invalid } from "./errors";

export type Body = Record<string, unknown>;

export const MAX_NAME = 250;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_DEPTH = 64;

export const isRecord = (x: unknown): x is Body => typeof x === "object" && x !== null && !Array.isArray(x);

export function fieldError(field: string, message: string) {
  return invalid("Validation.Failed", `${field}: ${message}`, { field });
}

export function requireBody(value: unknown): Body {
  if (!isRecord(value)) throw invalid("Request.Invalid", "The request body must be a JSON object");
  assertPlainJson(value, "body", 0);
  return value;
}

/** Rejects prototype-polluting keys anywhere and bounds the nesting depth. */
export function assertPlainJson(value: unknown, field: string, depth: number): void {
  if (depth > MAX_DEPTH) throw fieldError(field, `nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertPlainJson(item, `${field}[${i}]`, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw fieldError(`${field}.${key}`, "forbidden key");
    assertPlainJson(value[key], `${field}.${key}`, depth + 1);
  }
}

export function text(body: Body, key: string, field = key, options: { required?: boolean; max?: number } = {}): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (options.required) throw fieldError(field, "is required");
    return undefined;
  }
  if (typeof value !== "string") throw fieldError(field, "must be a string");
  if (options.required && value.trim() === "") throw fieldError(field, "must not be empty");
  const max = options.max ?? MAX_NAME;
  if (value.length > max) throw fieldError(field, `must be at most ${max} characters`);
  return value;
}

export function requiredText(body: Body, key: string, field = key, max = MAX_NAME): string {
  return text(body, key, field, { required: true, max })!;
}

export function integer(body: Body, key: string, field: string, range: { min: number; max: number; required?: boolean }): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (range.required) throw fieldError(field, "is required");
    return undefined;
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw fieldError(field, "must be an integer");
  if (value < range.min || value > range.max) throw fieldError(field, `must be between ${range.min} and ${range.max}`);
  return value;
}

export function id(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw fieldError(field, "must be a non-negative integer id");
  return value;
}

export function array(body: Body, key: string, field = key, options: { required?: boolean; max?: number } = {}): unknown[] {
  const value = body[key];
  if (value === undefined || value === null) {
    if (options.required) throw fieldError(field, "is required");
    return [];
  }
  if (!Array.isArray(value)) throw fieldError(field, "must be an array");
  const max = options.max ?? 1000;
  if (value.length > max) throw fieldError(field, `must have at most ${max} entries`);
  return value;
}

export function record(value: unknown, field: string): Body {
  if (!isRecord(value)) throw fieldError(field, "must be an object");
  return value;
}

export function idList(body: Body, key: string, field: string): number[] {
  const ids = array(body, key, field).map((v, i) => id(v, `${field}[${i}]`));
  if (new Set(ids).size !== ids.length) throw fieldError(field, "must not repeat an id");
  return ids;
}

export function isoDate(body: Body, key: string, field = key): string | undefined {
  const value = text(body, key, field, { max: 64 });
  if (value === undefined || value === "") return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw fieldError(field, "must be an ISO 8601 date-time");
  return new Date(ms).toISOString();
}

export function oneOf<T extends string>(body: Body, key: string, allowed: readonly T[], field = key): T | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) throw fieldError(field, `must be one of ${allowed.join(", ")}`);
  return value as T;
}

export function uniqueBy<T>(items: T[], key: (t: T) => unknown, field: string, what: string): void {
  const seen = new Set<unknown>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw fieldError(field, `duplicate ${what} ${String(k)}`);
    seen.add(k);
  }
}
