/**
 * Ordering and keyset paging of lists. `orderBy` names property paths, each `+` (ascending, the
 * default; an unencoded `+` arrives as a space) or `-` (descending); `instanceId` ascending is
 * always appended as the last key unless present, so every item has a unique sort key. `start` is
 * the key tuple of the last item of the previous page: one comma-separated, percent-encoded
 * component per key, date-times as epoch milliseconds, a missing value as the empty string. A page
 * holds the items strictly after `start` in the requested directions.
 */
import { isDateTime } from "./registry";
import { firstValueAt, parsePath, type PropertyPath } from "./paths";
import { badQuery } from "./problem";

export interface SortKey {
  /** The key as written back into `next` links, e.g. "-repo:createdDate". */
  text: string;
  path: PropertyPath;
  descending: boolean;
}

export const INSTANCE_ID_KEY: SortKey = { text: "instanceId", path: ["instanceId"], descending: false };

export function parseOrderBy(text: string | undefined): SortKey[] {
  const keys: SortKey[] = [];
  for (const raw of (text ?? "").split(",")) {
    if (raw.trim() === "") continue;
    const descending = raw.trimStart().startsWith("-");
    const name = raw.replace(/^[ +-]*/, "").trim();
    keys.push({ text: `${descending ? "-" : ""}${name}`, path: parsePath(name, "orderBy key"), descending });
  }
  if (!keys.some((k) => k.path.length === 1 && k.path[0] === "instanceId")) keys.push(INSTANCE_ID_KEY);
  return keys;
}

/** Type rank: missing < booleans < numbers < date-times < strings < anything else. */
function rank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "number") return 2;
  if (typeof v === "string") return isDateTime(v) ? 3 : 4;
  return 5;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
    case 2:
      return Math.sign(Number(a) - Number(b));
    case 3:
      return Math.sign(Date.parse(a as string) - Date.parse(b as string));
    case 4:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    default: {
      const sa = JSON.stringify(a);
      const sb = JSON.stringify(b);
      return sa === sb ? 0 : sa < sb ? -1 : 1;
    }
  }
}

/** The sort-key values of one representation. */
export const sortValues = (doc: unknown, keys: readonly SortKey[]): unknown[] => keys.map((k) => firstValueAt(doc, k.path));

/** Orders two key tuples in the requested directions. */
export function compareTuples(a: readonly unknown[], b: readonly unknown[], keys: readonly SortKey[]): number {
  for (let i = 0; i < keys.length; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return keys[i]!.descending ? -order : order;
  }
  return 0;
}

function encodeValue(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string" && isDateTime(v)) return String(Date.parse(v));
  return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** The `start` parameter after an item with these key values. */
export const encodeStart = (values: readonly unknown[]): string => values.map((v) => encodeURIComponent(encodeValue(v))).join(",");

export function decodeStart(text: string, keys: readonly SortKey[]): string[] {
  const parts = text.split(",");
  if (parts.length !== keys.length) {
    throw badQuery(`start must have ${keys.length} comma-separated value(s), one per sort key (${keys.map((k) => k.text).join(",")})`);
  }
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw badQuery("start is not correctly percent-encoded");
  }
}

/** Orders a stored value against one decoded `start` component. */
function compareToStart(value: unknown, start: string): number {
  if (value === undefined || value === null) return start === "" ? 0 : -1;
  if (start === "") return 1;
  if (typeof value === "number" || typeof value === "boolean") {
    const n = typeof value === "boolean" ? (start === "true" ? 1 : start === "false" ? 0 : NaN) : Number(start);
    return Number.isNaN(n) ? compareValues(value, start) : Math.sign(Number(value) - n);
  }
  if (typeof value === "string" && isDateTime(value)) {
    const ms = /^-?\d+$/.test(start) ? Number(start) : isDateTime(start) ? Date.parse(start) : NaN;
    if (!Number.isNaN(ms)) return Math.sign(Date.parse(value) - ms);
  }
  const text = encodeValue(value);
  return text === start ? 0 : text < start ? -1 : 1;
}

/** true when an item with key values `values` comes strictly after the `start` tuple. */
export function isAfterStart(values: readonly unknown[], start: readonly string[], keys: readonly SortKey[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const order = compareToStart(values[i], start[i]!);
    if (order !== 0) return keys[i]!.descending ? order < 0 : order > 0;
  }
  return false;
}
