/**
 * Paging, sorting and filtering of Admin API lists: `limit` and `offset` (Target's defaults:
 * every item from 0), `sortBy` (comma list or repeated, `-` = descending) and field filters
 * (`?id=3&id=4` any of, `?priority=!4` not, `?startsAt=a/b` a date range, either end open).
 */
import { invalid } from "./errors";

export type Query = Record<string, string | string[] | undefined>;
export const DEFAULT_LIMIT = 2147483647;
const MAX_FILTER_VALUES = 100;

export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

const values = (query: Query, key: string): string[] => {
  const raw = query[key];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
};

function nonNegative(query: Query, key: string, fallback: number): number {
  const [raw, extra] = values(query, key);
  if (raw === undefined) return fallback;
  if (extra !== undefined || !/^\d{1,10}$/.test(raw) || Number(raw) > DEFAULT_LIMIT) {
    throw invalid("Request.Invalid", `${key} must be an integer between 0 and ${DEFAULT_LIMIT}`, { field: key });
  }
  return Number(raw);
}

export interface ListSpec {
  /** Fields sortBy may name. */
  sortable: readonly string[];
  /** Fields filters may name, with their kind. */
  filters: Readonly<Record<string, "number" | "text" | "date">>;
}

const RESERVED = new Set(["limit", "offset", "sortBy"]);

export function listPage<T extends Record<string, unknown>>(items: T[], query: Query, spec: ListSpec): Page<T> {
  const limit = nonNegative(query, "limit", DEFAULT_LIMIT);
  const offset = nonNegative(query, "offset", 0);
  let selected = items;
  for (const key of Object.keys(query)) {
    if (RESERVED.has(key)) continue;
    const kind = spec.filters[key];
    if (kind === undefined) throw invalid("Request.Invalid", `unknown query parameter "${key}"`, { field: key });
    const list = values(query, key).flatMap((v) => v.split(","));
    if (list.length > MAX_FILTER_VALUES) throw invalid("Request.Invalid", `too many values for ${key}`, { field: key });
    selected = selected.filter((item) => matches(item[key], list, kind, key));
  }
  const sorted = sortItems(selected, values(query, "sortBy").flatMap((v) => v.split(",")), spec.sortable);
  return { total: sorted.length, offset, limit, items: sorted.slice(offset, offset + limit) };
}

function matches(value: unknown, filters: string[], kind: "number" | "text" | "date", key: string): boolean {
  const negative = filters.filter((f) => f.startsWith("!")).map((f) => f.slice(1));
  const positive = filters.filter((f) => !f.startsWith("!"));
  const equal = (f: string) => (kind === "date" && f.includes("/") ? inRange(value, f, key) : String(value ?? "") === f);
  if (kind === "number") for (const f of [...positive, ...negative]) if (!/^-?\d+$/.test(f)) throw invalid("Request.Invalid", `${key} filter must be an integer`, { field: key });
  if (negative.some(equal)) return false;
  return positive.length === 0 || positive.some(equal);
}

function inRange(value: unknown, range: string, key: string): boolean {
  const [from, to] = range.split("/");
  const bound = (s: string | undefined) => {
    if (!s) return undefined;
    const ms = Date.parse(s);
    if (!Number.isFinite(ms)) throw invalid("Request.Invalid", `${key} range must be <ISO date>/<ISO date>`, { field: key });
    return ms;
  };
  const lo = bound(from);
  const hi = bound(to);
  if (typeof value !== "string") return false;
  const ms = Date.parse(value);
  return (lo === undefined || ms >= lo) && (hi === undefined || ms <= hi);
}

function sortItems<T extends Record<string, unknown>>(items: T[], fields: string[], sortable: readonly string[]): T[] {
  const keys = fields.filter((f) => f !== "").map((f) => ({ desc: f.startsWith("-"), field: f.replace(/^[-+]/, "") }));
  for (const k of keys) if (!sortable.includes(k.field)) throw invalid("Request.Invalid", `sortBy: unknown field "${k.field}" (${sortable.join(", ")})`, { field: "sortBy" });
  if (keys.length === 0) return [...items];
  return [...items].sort((a, b) => {
    for (const { field, desc } of keys) {
      const c = compareValues(a[field], b[field]);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}
