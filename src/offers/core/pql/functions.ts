/**
 * The methods (`receiver.name(args)`) and functions (`name(args)`) of the PQL subset, as a table of
 * arity and implementation. Receivers of the wrong type give null (so the comparison around them
 * is false) rather than an error. `matches`, `if` and `select` need compile-time treatment and
 * live in compile.ts.
 */
import { RE2JS } from "re2js";
import { pqlCompileError, type SourcePosition } from "./errors";
import { asArray, equal, field, isMissing, isRecord, order, PqlDate, toInstant, type Meter } from "./values";

export interface Callable {
  min: number;
  max: number;
  /** `now` is the evaluation instant (for the current* functions). */
  run(receiver: unknown, args: unknown[], meter: Meter, now: number): unknown;
}

/** PQL functions we know but deliberately do not support; named in the compile error. */
export const UNSUPPORTED_FUNCTIONS = new Set([
  "groupBy",
  "map",
  "distinct",
  "topN",
  "bottomN",
  "head",
  "intersection",
  "regexGroup",
  "first",
  "last",
]);

type StringTest = (s: string, t: string) => boolean;

/** A string test with the optional case-sensitivity flag (default: case-sensitive). */
function stringTest(test: StringTest, negate = false): Callable {
  return {
    min: 1,
    max: 2,
    run(receiver, [arg, caseSensitive], meter) {
      if (typeof receiver !== "string" || typeof arg !== "string") return false;
      meter.charge(1 + ((receiver.length + arg.length) >> 6));
      const fold = caseSensitive === false;
      const result = fold ? test(receiver.toLowerCase(), arg.toLowerCase()) : test(receiver, arg);
      return negate ? !result : result;
    },
  };
}

function numbers(v: unknown, meter: Meter): number[] {
  const arr = asArray(v);
  meter.charge(arr.length);
  return arr.filter((x): x is number => typeof x === "number");
}

function extreme(sign: 1 | -1): Callable["run"] {
  return (receiver, _args, meter) => {
    let best: unknown = null;
    for (const x of asArray(receiver)) {
      meter.charge(1);
      if (isMissing(x)) continue;
      const o = best === null ? sign : order(x, best);
      if (o !== undefined && o * sign > 0) best = x;
    }
    return best;
  };
}

function includes(arr: unknown, v: unknown, meter: Meter): boolean {
  return asArray(arr).some((x) => equal(x, v, meter));
}

function setTest(test: (a: unknown[], b: unknown[], meter: Meter) => boolean): Callable {
  return {
    min: 1,
    max: 1,
    run(receiver, [other], meter) {
      if (isMissing(receiver) || isMissing(other)) return false;
      return test(asArray(receiver), asArray(other), meter);
    },
  };
}

function datePart(part: (d: Date) => number): Callable {
  return {
    min: 0,
    max: 0,
    run(receiver) {
      const ms = toInstant(receiver);
      return ms === undefined ? null : part(new Date(ms));
    },
  };
}

const aggregates = {
  count: (v: unknown) => (Array.isArray(v) ? v.length : isMissing(v) ? 0 : 1),
  sum: (v: unknown, m: Meter) => numbers(v, m).reduce((a, b) => a + b, 0),
  average: (v: unknown, m: Meter) => {
    const n = numbers(v, m);
    return n.length === 0 ? null : n.reduce((a, b) => a + b, 0) / n.length;
  },
  min: extreme(-1),
  max: extreme(1),
};

const month = (d: Date) => d.getUTCMonth() + 1;
const year = (d: Date) => d.getUTCFullYear();
const dayOfMonth = (d: Date) => d.getUTCDate();

export const METHODS: Record<string, Callable> = {
  equals: stringTest((s, t) => s === t),
  notEqualTo: stringTest((s, t) => s === t, true),
  contains: stringTest((s, t) => s.includes(t)),
  doesNotContain: stringTest((s, t) => s.includes(t), true),
  startsWith: stringTest((s, t) => s.startsWith(t)),
  doesNotStartWith: stringTest((s, t) => s.startsWith(t), true),
  endsWith: stringTest((s, t) => s.endsWith(t)),
  doesNotEndWith: stringTest((s, t) => s.endsWith(t), true),
  isNull: { min: 0, max: 0, run: (r) => isMissing(r) },
  isNotNull: { min: 0, max: 0, run: (r) => !isMissing(r) },
  includes: { min: 1, max: 1, run: (r, [v], m) => !isMissing(r) && !isMissing(v) && includes(r, v, m) },
  intersects: setTest((a, b, m) => a.some((x) => includes(b, x, m))),
  subsetOf: setTest((a, b, m) => a.every((x) => includes(b, x, m))),
  supersetOf: setTest((a, b, m) => b.every((x) => includes(a, x, m))),
  count: { min: 0, max: 0, run: (r) => aggregates.count(r) },
  sum: { min: 0, max: 0, run: (r, _a, m) => aggregates.sum(r, m) },
  average: { min: 0, max: 0, run: (r, _a, m) => aggregates.average(r, m) },
  min: { min: 0, max: 0, run: aggregates.min },
  max: { min: 0, max: 0, run: aggregates.max },
  get: {
    min: 1,
    max: 1,
    run: (r, [k]) => (isRecord(r) && typeof k === "string" ? field(r, k) : null),
  },
  keys: { min: 0, max: 0, run: (r) => (isRecord(r) ? Object.keys(r) : null) },
  values: { min: 0, max: 0, run: (r) => (isRecord(r) ? Object.values(r) : null) },
  getMonth: datePart(month),
  getYear: datePart(year),
  getDayOfMonth: datePart(dayOfMonth),
};

const SEGMENT_MEMBER_STATUSES = new Set(["realized", "existing"]);

/** Global functions; `if` is lazy and compiled separately. Receiver is the profile. */
export const FUNCTIONS: Record<string, Callable> = {
  date: {
    min: 3,
    max: 3,
    run(_r, [y, m, d]) {
      if (![y, m, d].every((x) => typeof x === "number" && Number.isInteger(x))) return null;
      const ms = Date.UTC(y as number, (m as number) - 1, d as number);
      return Number.isFinite(ms) ? new PqlDate(ms) : null;
    },
  },
  inSegment: {
    min: 1,
    max: 1,
    run(profile, [id]) {
      if (typeof id !== "string") return false;
      const membership = field(field(field(profile, "segmentMembership"), "ups"), id);
      return SEGMENT_MEMBER_STATUSES.has(field(membership, "status") as string);
    },
  },
  currentMonth: { min: 0, max: 0, run: (_r, _a, _m, now) => month(new Date(now)) },
  currentYear: { min: 0, max: 0, run: (_r, _a, _m, now) => year(new Date(now)) },
  currentDayOfMonth: { min: 0, max: 0, run: (_r, _a, _m, now) => dayOfMonth(new Date(now)) },
  count: { min: 1, max: 1, run: (_r, [v]) => aggregates.count(v) },
  sum: { min: 1, max: 1, run: (_r, [v], m) => aggregates.sum(v, m) },
  average: { min: 1, max: 1, run: (_r, [v], m) => aggregates.average(v, m) },
  min: { min: 1, max: 1, run: (_r, [v], m, now) => aggregates.min(v, [], m, now) },
  max: { min: 1, max: 1, run: (_r, [v], m, now) => aggregates.max(v, [], m, now) },
};

/** Longest pattern accepted by `matches`. */
export const MAX_REGEX_LENGTH = 1024;

/**
 * A `matches` pattern compiled for a linear-time engine (RE2 semantics: no backreferences, no
 * catastrophic backtracking). A leading `(?i)` makes it case-insensitive, as in the docs' examples.
 */
export function compileRegex(pattern: string, at: SourcePosition): (s: string, meter: Meter) => boolean {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw pqlCompileError("limit", `regular expression longer than ${MAX_REGEX_LENGTH} characters`, at);
  }
  let re: ReturnType<typeof RE2JS.compile>;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw pqlCompileError("syntax", `invalid regular expression (${reason})`, at);
  }
  return (s, meter) => {
    meter.charge(1 + (s.length >> 4));
    return re.test(s);
  };
}
