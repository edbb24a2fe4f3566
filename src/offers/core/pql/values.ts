/**
 * Runtime values of PQL and the rules that relate them: field lookup with the `xdm:` fallback,
 * two-valued comparison where a missing operand makes every comparison false, truthiness, and
 * the coercion of ISO date-time strings when compared with a date. Only own properties of plain
 * JSON data are ever read, so authored rules cannot reach prototypes.
 */

/** An instant produced by `now`, `today`, `date(…)` or a coerced ISO string; compared by `ms`. */
export class PqlDate {
  constructor(readonly ms: number) {}
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Evaluation cost accounting shared by one evaluation; throws once the budget is spent. */
export interface Meter {
  charge(steps: number): void;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PqlDate);

/** `foo` resolves to property `foo`, else `xdm:foo` (stored XDM keeps prefixes, PQL does not). */
export function field(object: unknown, name: string): unknown {
  let target = object;
  if (Array.isArray(target)) target = target[0];
  if (!isRecord(target)) return null;
  if (Object.hasOwn(target, name)) return target[name] ?? null;
  const prefixed = `xdm:${name}`;
  if (Object.hasOwn(target, prefixed)) return target[prefixed] ?? null;
  return null;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Parsed ISO strings; event timestamps repeat across decisions. Cleared when full (bounded). */
const instantCache = new Map<string, number | undefined>();
const INSTANT_CACHE_SIZE = 50_000;

function parseIso(v: string): number | undefined {
  if (!ISO_DATE.test(v)) return undefined;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The instant of a date value or of an ISO date(-time) string; undefined for anything else. */
export function toInstant(v: unknown): number | undefined {
  if (v instanceof PqlDate) return v.ms;
  if (typeof v !== "string" || v.length > 40) return undefined;
  if (instantCache.has(v)) return instantCache.get(v);
  if (instantCache.size >= INSTANT_CACHE_SIZE) instantCache.clear();
  const ms = parseIso(v);
  instantCache.set(v, ms);
  return ms;
}

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
  return true;
}

/** Deep equality of JSON values (numbers across int/double, dates with ISO strings). */
export function equal(a: unknown, b: unknown, meter: Meter): boolean {
  meter.charge(1);
  if (a instanceof PqlDate || b instanceof PqlDate) {
    const x = toInstant(a);
    const y = toInstant(b);
    return x !== undefined && x === y;
  }
  if (a === b) return a !== null && a !== undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i], meter));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k], meter))
    );
  }
  return false;
}

/** Ordering of two comparable values, or undefined when they cannot be ordered. */
export function order(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof PqlDate || b instanceof PqlDate) {
    const x = toInstant(a);
    const y = toInstant(b);
    return x === undefined || y === undefined ? undefined : Math.sign(x - y);
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** The values of an array, or of a single non-null value seen as a one-element array. */
export function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === null || v === undefined ? [] : [v];
}

export function isMissing(v: unknown): boolean {
  return v === null || v === undefined;
}
