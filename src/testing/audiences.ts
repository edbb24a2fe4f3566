import { cloneJson, invalid, type JsonValue } from "./json";

/**
 * An audience: a json-logic condition over the rule context (docs/target-behaviour.md#rule-context) plus the numeric id
 * Target lists in `meta["audience.ids"]`. Helpers leave `id` unset; the builder then assigns ids
 * deterministically (one id per distinct condition). Use {@link defineAudience} to pin an id.
 */
export interface Audience {
  readonly condition: JsonValue;
  readonly id?: number;
  readonly name?: string;
}

export type BrowserType = "chrome" | "firefox" | "safari" | "mobile safari" | "edge" | "ie" | "unknown";
export type DayName = "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday";
/** A moment: a Date, epoch milliseconds, or an ISO-8601 string. */
export type Instant = Date | number | string;

const BROWSERS: readonly string[] = ["chrome", "firefox", "safari", "mobile safari", "edge", "ie", "unknown"];
const DAYS: readonly string[] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
// The engine lower-cases only these platform names and keeps every other value verbatim.
const PLATFORMS: Record<string, string> = {
  windows: "windows",
  mac: "mac",
  macos: "mac",
  "mac os": "mac",
  macintosh: "mac",
  linux: "linux",
  ios: "iOS",
  android: "Android",
  unix: "Unix",
  unknown: "unknown",
};

const v = (name: string): JsonValue => ({ var: name });
const make = (condition: JsonValue): Audience => Object.freeze({ condition });

function text(where: string, value: unknown): string {
  if (typeof value !== "string" || value === "") invalid(where, "expected a non-empty string");
  return value;
}

function paramVar(where: string, name: unknown): string {
  const n = text(where, name);
  const segments = n.split(".");
  if (segments.some((s) => s === "")) invalid(where, `parameter name "${n}" has an empty dotted segment`);
  if (segments.some((s) => s === "__proto__" || s === "constructor" || s === "prototype")) {
    invalid(where, `parameter name "${n}" uses a forbidden segment`);
  }
  return `mbox.${n}`;
}

/** Page URL contains `needle` (case-insensitive): `{"in": [needle_lc, page.url_lc]}`. */
export function urlContains(needle: string): Audience {
  return make({ in: [text("urlContains", needle).toLowerCase(), v("page.url_lc")] });
}

/** Page URL equals `url` (case-insensitive). */
export function urlEquals(url: string): Audience {
  return make({ "==": [text("urlEquals", url).toLowerCase(), v("page.url_lc")] });
}

/** Page path starts with `prefix` (case-insensitive; path includes the leading "/"). */
export function pathStartsWith(prefix: string): Audience {
  const p = text("pathStartsWith", prefix).toLowerCase();
  return make({ "==": [{ substr: [v("page.path_lc"), 0, p.length] }, p] });
}

/** Page path equals `path` exactly (case-sensitive, as Target's page-delivery rules). */
export function pathEquals(path: string): Audience {
  return make({ "==": [text("pathEquals", path), v("page.path")] });
}

/** Registrable domain (public-suffix aware, e.g. "example.co.uk") equals `domain` (case-insensitive). */
export function domainIs(domain: string): Audience {
  return make({ "==": [text("domainIs", domain).toLowerCase(), v("page.domain_lc")] });
}

/** Query string (without "?") contains `needle` (case-insensitive). */
export function queryContains(needle: string): Audience {
  return make({ in: [text("queryContains", needle).toLowerCase(), v("page.query_lc")] });
}

/**
 * mbox/view/pageLoad parameter equals `value`: case-sensitive `{"==": [value, mbox.name]}`, or with
 * `ignoreCase` `{"==": [value_lc, mbox.name_lc]}`. Dotted names address nested parameters.
 */
export function paramEquals(name: string, value: string | number | boolean, options: { ignoreCase?: boolean } = {}): Audience {
  const variable = paramVar("paramEquals", name);
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    invalid("paramEquals", "value must be a string, number or boolean");
  }
  if (options.ignoreCase) {
    if (typeof value !== "string") invalid("paramEquals", "ignoreCase needs a string value");
    return make({ "==": [value.toLowerCase(), v(`${variable}_lc`)] });
  }
  return make({ "==": [value, v(variable)] });
}

/** Parameter contains `needle` (case-insensitive substring). */
export function paramContains(name: string, needle: string): Audience {
  const variable = paramVar("paramContains", name);
  return make({ in: [text("paramContains", needle).toLowerCase(), v(`${variable}_lc`)] });
}

/** Browser type as the engine detects it from the user agent / client hints. */
export function browserIs(type: BrowserType | Uppercase<BrowserType> | Capitalize<BrowserType>): Audience {
  const t = text("browserIs", type).toLowerCase();
  if (!BROWSERS.includes(t)) invalid("browserIs", `unknown browser "${type}"; expected one of ${BROWSERS.join(", ")}`);
  return make({ "==": [v("user.browserType"), t] });
}

/** Operating system: windows, mac, linux, ios, android, unix (or a client-hint platform verbatim). */
export function platformIs(platform: string): Audience {
  const p = text("platformIs", platform);
  return make({ "==": [v("user.platform"), PLATFORMS[p.toLowerCase()] ?? p] });
}

function geoIs(where: string, variable: string, values: readonly string[], compact: boolean): Audience {
  if (values.length === 0) invalid(where, "expected at least one value");
  const tests: JsonValue[] = [];
  for (const raw of values) {
    const upper = text(where, raw).toUpperCase();
    tests.push({ "==": [upper, v(variable)] });
    // Target also matches the space-less spelling of multi-word city names ("SANFRANCISCO").
    if (compact && upper.includes(" ")) tests.push({ "==": [upper.replace(/ /g, ""), v(variable)] });
  }
  return make({ or: tests });
}

/** Country equals one of `values` (name or ISO code as the geo source reports it, e.g. "US", "UNITED STATES"). */
export function geoCountryIs(...values: string[]): Audience {
  return geoIs("geoCountryIs", "geo.country", values, false);
}

/** Region/state equals one of `values` (e.g. "CA", "CALIFORNIA"). */
export function geoRegionIs(...values: string[]): Audience {
  return geoIs("geoRegionIs", "geo.region", values, false);
}

/** City equals one of `values` (e.g. "SAN FRANCISCO"). */
export function geoCityIs(...values: string[]): Audience {
  return geoIs("geoCityIs", "geo.city", values, true);
}

function instant(where: string, value: Instant): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) invalid(where, `invalid date ${String(value)}`);
  return ms;
}

/** Absolute date range on `current_timestamp` (ms, inclusive bounds). */
export function timeFrame(range: { start?: Instant; end?: Instant }): Audience {
  const start = range.start === undefined ? undefined : instant("timeFrame", range.start);
  const end = range.end === undefined ? undefined : instant("timeFrame", range.end);
  const now = v("current_timestamp");
  if (start !== undefined && end !== undefined) {
    if (end < start) invalid("timeFrame", "end is before start");
    return make({ "<=": [start, now, end] });
  }
  if (start !== undefined) return make({ "<=": [start, now] });
  if (end !== undefined) return make({ ">=": [end, now] });
  return invalid("timeFrame", "give start, end or both");
}

function hhmm(where: string, value: string): string {
  const s = text(where, value).replace(":", "");
  if (!/^([01]\d|2[0-3])[0-5]\d$/.test(s)) invalid(where, `"${value}" is not a 24-hour time "HHmm" or "HH:mm"`);
  return s;
}

function timeWindow(where: string, from: string, to: string): JsonValue {
  const a = hhmm(where, from);
  const b = hhmm(where, to);
  const now = v("current_time");
  if (a <= b) return { "<=": [a, now, b] };
  // The window wraps midnight: two windows.
  return { or: [{ "<=": [a, now, "2359"] }, { "<=": ["0000", now, b] }] };
}

/** UTC time of day between `from` and `to` inclusive ("HHmm"); wraps midnight when from > to. */
export function timeOfDay(from: string, to: string): Audience {
  return make(timeWindow("timeOfDay", from, to));
}

/**
 * UTC days of the week (1 = Monday … 7 = Sunday, or names), optionally within a time window —
 * encoded as Target does: `{"and": [{"or": [{"==": [current_day, "5"]}]}, {"<=": ["0000", current_time, "2359"]}]}`.
 */
export function dayOfWeek(days: readonly (number | DayName)[], hours: { from?: string; to?: string } = {}): Audience {
  if (days.length === 0) invalid("dayOfWeek", "expected at least one day");
  const numbers = new Set<number>();
  for (const d of days) {
    const n = typeof d === "number" ? d : DAYS.indexOf(String(d).toLowerCase()) + 1;
    if (!Number.isInteger(n) || n < 1 || n > 7) invalid("dayOfWeek", `invalid day ${String(d)} (1 = Monday … 7 = Sunday)`);
    numbers.add(n);
  }
  const tests = [...numbers].sort((a, b) => a - b).map((n): JsonValue => ({ "==": [v("current_day"), String(n)] }));
  return make({ and: [{ or: tests }, timeWindow("dayOfWeek", hours.from ?? "0000", hours.to ?? "2359")] });
}

function conditions(where: string, audiences: readonly Audience[]): JsonValue[] {
  if (audiences.length === 0) invalid(where, "expected at least one audience");
  return audiences.map((a) => {
    if (!a || typeof a !== "object" || !("condition" in a)) invalid(where, "expected audiences built with the audience helpers");
    return a.condition;
  });
}

/** All of the audiences. */
export function and(...audiences: Audience[]): Audience {
  return make({ and: conditions("and", audiences) });
}

/** Any of the audiences. */
export function or(...audiences: Audience[]): Audience {
  return make({ or: conditions("or", audiences) });
}

/** The negation of an audience: `{"!": condition}`. */
export function not(audience: Audience): Audience {
  return make({ "!": conditions("not", [audience])[0]! });
}

/** Any json-logic expression over the on-device context (copied; must be plain JSON). */
export function custom(jsonLogic: unknown): Audience {
  return make(cloneJson(jsonLogic, "custom"));
}

/** The same audience with a fixed id (and optional name), as a reusable Target audience. */
export function defineAudience(id: number, audience: Audience, name?: string): Audience {
  if (!Number.isSafeInteger(id) || id <= 0) invalid("defineAudience", `id must be a positive integer, got ${String(id)}`);
  const [condition] = conditions("defineAudience", [audience]);
  return Object.freeze(name === undefined ? { condition: condition!, id } : { condition: condition!, id, name });
}
