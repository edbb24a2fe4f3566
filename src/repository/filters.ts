/**
 * `property=` filters of lists and searches: `{path}{op}{value}` or a bare `{path}` (exists and is
 * not null). Values compare by the stored value's JSON type: numbers numerically, booleans, date-time
 * strings chronologically (when the filter value is a date-time too), other strings by code units,
 * case-sensitively. `~` is a case-insensitive regular expression that must match the whole string;
 * it runs on RE2 semantics (re2js: linear time, no backtracking), so no pattern can stall the
 * service. A filter on a missing property is false for every operator, `!=` included.
 */
import { RE2JS } from "re2js";
import { isDateTime } from "./registry";
import { parsePath, valuesAt, type PropertyPath } from "./paths";
import { badQuery } from "./problem";

export type FilterOperator = "==" | "!=" | "<=" | ">=" | "<" | ">" | "~";
export const MAX_PATTERN_LENGTH = 1024;

export interface PropertyFilter {
  text: string;
  path: PropertyPath;
  op?: FilterOperator;
  value?: string;
  regex?: RE2JS;
}

/** Finds the first operator occurrence, two-character operators winning at the same position. */
function findOperator(text: string): { index: number; op: FilterOperator } | undefined {
  for (let i = 0; i < text.length; i++) {
    const two = text.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "<=" || two === ">=") return { index: i, op: two };
    const one = text[i];
    if (one === "<" || one === ">" || one === "~") return { index: i, op: one };
    if (one === "=" || one === "!") throw badQuery(`Invalid property filter "${text}": unknown operator "${one}"`);
  }
  return undefined;
}

export function parsePropertyFilter(text: string): PropertyFilter {
  const found = findOperator(text);
  if (!found) return { text, path: parsePath(text, "property filter path") };
  const path = parsePath(text.slice(0, found.index), "property filter path");
  const value = text.slice(found.index + found.op.length);
  if (found.op !== "~") return { text, path, op: found.op, value };
  if (value.length > MAX_PATTERN_LENGTH) throw badQuery(`The ~ pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  try {
    return { text, path, op: "~", value, regex: RE2JS.compile(value, RE2JS.CASE_INSENSITIVE) };
  } catch (err) {
    throw badQuery(`Invalid regular expression in "${text}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

function holds(op: FilterOperator, order: number): boolean {
  switch (op) {
    case "==":
      return order === 0;
    case "!=":
      return order !== 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    default:
      return order >= 0;
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The order of `stored` relative to the filter text, or undefined when they are not comparable. */
function compareStored(stored: unknown, filter: PropertyFilter): number | undefined {
  const text = filter.value!;
  if (typeof stored === "number") {
    const n = text.trim() === "" ? NaN : Number(text);
    if (!Number.isFinite(n)) throw badQuery(`"${filter.text}": ${text} is not a number`);
    return stored === n ? 0 : stored < n ? -1 : 1;
  }
  if (typeof stored === "boolean") {
    if (text !== "true" && text !== "false") return undefined;
    return Number(stored) - Number(text === "true");
  }
  if (typeof stored !== "string") return undefined;
  if (isDateTime(stored) && isDateTime(text)) return Math.sign(Date.parse(stored) - Date.parse(text));
  return compareText(stored, text);
}

export function matchesFilter(doc: unknown, filter: PropertyFilter): boolean {
  const values = valuesAt(doc, filter.path);
  if (filter.op === undefined) return values.some((v) => v !== null);
  if (filter.op === "~") return values.some((v) => typeof v === "string" && filter.regex!.matches(v));
  return values.some((v) => {
    const order = v === null ? undefined : compareStored(v, filter);
    return order !== undefined && holds(filter.op!, order);
  });
}
