/**
 * Audience `targetRule` → json-logic over the on-device evaluation context. Pure (no Node APIs).
 *
 * The grammar (docs/admin-api.md "Audiences"): combinators `{"and": [...]}`, `{"or": [...]}`,
 * `{"not": rule}`; a leaf has one category key naming the attribute and one operator key whose
 * value is a list of operands (several operands = any of them). The emitted shapes follow what
 * Target itself writes into artifacts (docs/publishing.md "Audience mapping"). Categories the engine
 * has no data for (profile, landing page, zip, …) are valid but make the audience *remote*: it can
 * only be decided by Target's servers.
 */

export type JsonLogic = unknown;

/** A grammar violation; `path` locates it inside the rule (e.g. `targetRule.and[1].equals`). */
export class TargetRuleError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "TargetRuleError";
    this.path = path;
  }
}

/** The compiled form: a condition, or `remote` with the reason when it cannot run on-device. */
export type CompiledRule = { remote: false; condition: JsonLogic } | { remote: true; reason: string };

export const OPERATORS = [
  "equals",
  "notEquals",
  "equalsIgnoreCase",
  "contains",
  "notContains",
  "startsWith",
  "endsWith",
  "matches",
  "lessThan",
  "lessThanOrEquals",
  "greaterThan",
  "greaterThanOrEquals",
  "exists",
  "notExists",
  "valueExists",
  "valueNotExists",
] as const;
export type Operator = (typeof OPERATORS)[number];

const TEXT_OPERATORS = new Set<Operator>(["equals", "notEquals", "equalsIgnoreCase", "contains", "notContains", "startsWith", "endsWith", "matches"]);
const COMPARISONS = new Set<Operator>(["lessThan", "lessThanOrEquals", "greaterThan", "greaterThanOrEquals"]);
const PRESENCE = new Set<Operator>(["exists", "notExists", "valueExists", "valueNotExists"]);

/** Categories accepted but decided only by Target's servers (no such data on-device). */
const REMOTE_CATEGORIES = new Set(["landingPage", "mobile", "profile", "trafficSource", "network", "customerAttribute", "segment"]);
const URL_ATTRIBUTES = new Set(["url", "domain", "subdomain", "topLevelDomain", "path", "query", "fragment"]);
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_DEPTH = 32;
const MAX_OPERANDS = 200;
const MAX_TEXT = 2048;

/** How the engine spells operating systems in `user.platform` (everything but these is kept verbatim). */
const PLATFORM_NAMES: Record<string, string> = {
  windows: "windows",
  mac: "mac",
  macos: "mac",
  linux: "linux",
  ios: "iOS",
  android: "Android",
  unix: "Unix",
};

/**
 * How one attribute is tested: `text` compares case-insensitively on the `_lc` variable,
 * `param` is an mbox parameter (`equals` case-sensitive), `upper` compares upper-cased operands
 * (geo names), `lower` compares lower-cased operands with the variable first (browser, OS),
 * `number` is numeric with the variable first, `geoNumber` numeric with the operand first.
 */
type AttributeKind = "text" | "param" | "upper" | "lower" | "number" | "geoNumber";
interface Attribute {
  variable: string;
  kind: AttributeKind;
  /** Maps an operand before emission (OS names). */
  mapValue?: (v: string) => string;
}

const v = (name: string) => ({ var: name });
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function fail(path: string, message: string): never {
  throw new TargetRuleError(path, message);
}

/** Compiles (and validates) a targetRule. Throws {@link TargetRuleError} on any grammar violation. */
export function compileTargetRule(rule: unknown, path = "targetRule"): CompiledRule {
  return compileNode(rule, path, 0);
}

function compileNode(node: unknown, path: string, depth: number): CompiledRule {
  if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (!isRecord(node)) fail(path, "expected an object");
  const keys = Object.keys(node);
  if (keys.length === 1 && (keys[0] === "and" || keys[0] === "or")) {
    const op = keys[0];
    const list = node[op];
    if (!Array.isArray(list) || list.length === 0) fail(`${path}.${op}`, "expected a non-empty array of rules");
    if (list.length > MAX_OPERANDS) fail(`${path}.${op}`, `more than ${MAX_OPERANDS} rules`);
    const parts = list.map((item, i) => compileNode(item, `${path}.${op}[${i}]`, depth + 1));
    const remote = parts.find((p) => p.remote);
    if (remote) return remote;
    const conditions = parts.map((p) => (p as { condition: JsonLogic }).condition);
    return { remote: false, condition: conditions.length === 1 ? conditions[0] : { [op]: conditions } };
  }
  if (keys.length === 1 && keys[0] === "not") {
    const inner = compileNode(node.not, `${path}.not`, depth + 1);
    return inner.remote ? inner : { remote: false, condition: { "!": inner.condition } };
  }
  if ("timeFrame" in node) return compileTimeFrame(node, path);
  return compileLeaf(node, path);
}

function operatorOf(node: Record<string, unknown>, path: string, allowed: Set<string>): Operator {
  const operators = Object.keys(node).filter((k) => (OPERATORS as readonly string[]).includes(k));
  const unknown = Object.keys(node).filter((k) => !allowed.has(k) && !(OPERATORS as readonly string[]).includes(k));
  if (unknown.length > 0) fail(path, `unknown key "${unknown[0]}" (unknown category or operator)`);
  if (operators.length !== 1) fail(path, `expected exactly one operator (${OPERATORS.join(", ")}), found ${operators.length}`);
  return operators[0] as Operator;
}

function operandsOf(node: Record<string, unknown>, op: Operator, path: string): string[] {
  const raw = node[op];
  const where = `${path}.${op}`;
  if (PRESENCE.has(op)) {
    if (raw !== undefined && raw !== null && !Array.isArray(raw) && typeof raw !== "boolean") fail(where, "expected a list (its values are ignored)");
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) fail(where, "expected a non-empty list of values");
  if (raw.length > MAX_OPERANDS) fail(where, `more than ${MAX_OPERANDS} values`);
  return raw.map((value, i) => {
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    if (typeof value !== "string") fail(`${where}[${i}]`, "expected a string");
    if (value.length > MAX_TEXT) fail(`${where}[${i}]`, `longer than ${MAX_TEXT} characters`);
    return value;
  });
}

function nameOf(node: Record<string, unknown>, key: string, path: string): string {
  const value = node[key];
  if (typeof value !== "string" || value === "") fail(`${path}.${key}`, "expected a non-empty string");
  if (value.length > 250) fail(`${path}.${key}`, "longer than 250 characters");
  return value;
}

function compileLeaf(node: Record<string, unknown>, path: string): CompiledRule {
  const category = Object.keys(node).find((k) => !(OPERATORS as readonly string[]).includes(k));
  if (category === undefined) fail(path, "expected a category key (page, mbox, geo, browser, operatingSystem, …)");
  if (REMOTE_CATEGORIES.has(category)) {
    const allowed = new Set([category, ...(category === "mbox" ? ["parameter"] : [])]);
    const op = operatorOf(node, path, allowed);
    nameOf(node, category, path);
    operandsOf(node, op, path);
    return { remote: true, reason: `${category} audiences need Target's servers` };
  }
  const allowed = new Set([category, ...(category === "mbox" ? ["parameter"] : [])]);
  const op = operatorOf(node, path, allowed);
  const operands = operandsOf(node, op, path);
  const attribute = attributeOf(node, category, path);
  if (attribute === "remote") return { remote: true, reason: `${category} ${String(node[category])} needs Target's servers` };
  return { remote: false, condition: emit(attribute, op, operands, `${path}.${op}`) };
}

function attributeOf(node: Record<string, unknown>, category: string, path: string): Attribute | "remote" {
  switch (category) {
    case "page":
    case "referringPage": {
      const attr = nameOf(node, category, path);
      if (!URL_ATTRIBUTES.has(attr)) fail(`${path}.${category}`, `unknown attribute "${attr}" (${[...URL_ATTRIBUTES].join(", ")})`);
      return { variable: `${category === "page" ? "page" : "referring"}.${attr}`, kind: "text" };
    }
    case "mbox": {
      nameOf(node, "mbox", path);
      const parameter = nameOf(node, "parameter", path);
      const segments = parameter.split(".");
      if (segments.some((s) => s === "" || FORBIDDEN_SEGMENTS.has(s))) fail(`${path}.parameter`, `invalid parameter name "${parameter}"`);
      return { variable: `mbox.${parameter}`, kind: "param" };
    }
    case "geo": {
      const attr = nameOf(node, "geo", path);
      if (attr === "country" || attr === "region" || attr === "city") return { variable: `geo.${attr}`, kind: "upper" };
      if (attr === "latitude" || attr === "longitude") return { variable: `geo.${attr}`, kind: "geoNumber" };
      if (attr === "zip" || attr === "dma") return "remote";
      return fail(`${path}.geo`, `unknown attribute "${attr}" (country, region, city, zip, dma, latitude, longitude)`);
    }
    case "browser": {
      const attr = nameOf(node, "browser", path);
      if (attr === "type") return { variable: "user.browserType", kind: "lower" };
      if (attr === "version") return { variable: "user.browserVersion", kind: "number" };
      if (attr === "language") return { variable: "user.locale", kind: "lower" };
      return fail(`${path}.browser`, `unknown attribute "${attr}" (type, version, language)`);
    }
    case "operatingSystem": {
      const attr = nameOf(node, "operatingSystem", path);
      if (attr !== "name") fail(`${path}.operatingSystem`, `unknown attribute "${attr}" (name)`);
      return { variable: "user.platform", kind: "lower", mapValue: (s) => PLATFORM_NAMES[s.toLowerCase()] ?? s };
    }
    default:
      return fail(path, `unknown category "${category}"`);
  }
}

function numeric(value: string, path: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) fail(path, `"${value}" is not a number`);
  return n;
}

const any = (tests: JsonLogic[]): JsonLogic => (tests.length === 1 ? tests[0] : { or: tests });

function emit(attribute: Attribute, op: Operator, operands: string[], path: string): JsonLogic {
  const { variable, kind } = attribute;
  if (PRESENCE.has(op)) return presence(variable, op);
  if (op === "notEquals") return { "!": emit(attribute, "equals", operands, path) };
  if (op === "notContains") return { "!": emit(attribute, "contains", operands, path) };
  if (kind === "number" || kind === "geoNumber") {
    if (TEXT_OPERATORS.has(op) && op !== "equals" && op !== "matches") fail(path, `"${op}" does not apply to a number`);
    // Geo bounds keep the operand text, as Target writes them ("37.70"); json-logic compares numerically.
    return any(
      operands.map((o) => {
        const n = numeric(o, path);
        return compare(variable, kind, op, kind === "geoNumber" ? o : n);
      }),
    );
  }
  if (COMPARISONS.has(op)) {
    if (kind !== "param") fail(path, `"${op}" applies only to mbox parameters, geo latitude/longitude and browser version`);
    return any(operands.map((o) => compare(variable, "number", op, numeric(o, path))));
  }
  return any(operands.map((o) => textTest(attribute, op, o)));
}

function presence(variable: string, op: Operator): JsonLogic {
  if (op === "exists") return { "!=": [v(variable), null] };
  if (op === "notExists") return { "==": [v(variable), null] };
  if (op === "valueExists") return { "!!": v(variable) };
  return { "!": v(variable) };
}

const FLIPPED: Record<string, string> = { lessThan: ">", lessThanOrEquals: ">=", greaterThan: "<", greaterThanOrEquals: "<=" };
const DIRECT: Record<string, string> = { lessThan: "<", lessThanOrEquals: "<=", greaterThan: ">", greaterThanOrEquals: ">=" };

function compare(variable: string, kind: AttributeKind, op: Operator, n: number | string): JsonLogic {
  if (op === "equals" || op === "matches") return kind === "geoNumber" ? { "==": [n, v(variable)] } : { "==": [v(variable), n] };
  // Geo bounds are written operand-first, as Target does (`lo < geo.latitude`).
  if (kind === "geoNumber") return { [FLIPPED[op]!]: [n, v(variable)] };
  return { [DIRECT[op]!]: [v(variable), n] };
}

function textTest(attribute: Attribute, op: Operator, operand: string): JsonLogic {
  const { variable, kind } = attribute;
  if (kind === "lower") {
    const value = attribute.mapValue ? attribute.mapValue(operand) : operand.toLowerCase();
    return stringTest(op === "equals" || op === "equalsIgnoreCase" || op === "matches" ? "equals" : op, v(variable), value, true);
  }
  if (kind === "upper") return stringTest(normalise(op), v(variable), operand.toUpperCase(), false);
  if (kind === "param" && op === "equals") return { "==": [operand, v(variable)] };
  return stringTest(normalise(op), v(`${variable}_lc`), operand.toLowerCase(), false);
}

const normalise = (op: Operator): Operator => (op === "equalsIgnoreCase" || op === "matches" ? "equals" : op);

function stringTest(op: Operator, variable: JsonLogic, value: string, variableFirst: boolean): JsonLogic {
  switch (op) {
    case "equals":
      return variableFirst ? { "==": [variable, value] } : { "==": [value, variable] };
    case "contains":
      return { in: [value, variable] };
    case "startsWith":
      return { "==": [{ substr: [variable, 0, value.length] }, value] };
    case "endsWith":
      return { "==": [{ substr: [variable, -value.length] }, value] };
    default:
      throw new TargetRuleError("targetRule", `operator ${op} is not a text test`);
  }
}

// ---------------------------------------------------------------------------------------------
// timeFrame

const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;

function compileTimeFrame(node: Record<string, unknown>, path: string): CompiledRule {
  const extra = Object.keys(node).filter((k) => k !== "timeFrame");
  if (extra.length > 0) fail(path, `unknown key "${extra[0]}" next to timeFrame`);
  const tf = node.timeFrame;
  const where = `${path}.timeFrame`;
  if (!isRecord(tf)) fail(where, "expected an object {start?, end?, days?, startTime?, endTime?, timezoneOffsetMinutes?}");
  const known = new Set(["start", "end", "days", "startTime", "endTime", "timezoneOffsetMinutes"]);
  for (const key of Object.keys(tf)) if (!known.has(key)) fail(`${where}.${key}`, "unknown key");
  const parts: JsonLogic[] = [];
  const range = dateRange(tf, where);
  if (range !== undefined) parts.push(range);
  const weekly = weeklyWindow(tf, where);
  if (weekly !== undefined) parts.push(weekly);
  if (parts.length === 0) fail(where, "give start/end, days or startTime/endTime");
  return { remote: false, condition: parts.length === 1 ? parts[0] : { and: parts } };
}

function instant(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) fail(path, "expected an ISO-8601 date-time");
  return ms;
}

/** `{"<=": [start, current_timestamp, end]}`, or the two-argument form when one bound is given. */
export function timestampGuard(start: number | undefined, end: number | undefined): JsonLogic | undefined {
  const now = v("current_timestamp");
  if (start !== undefined && end !== undefined) return { "<=": [start, now, end] };
  if (start !== undefined) return { "<=": [start, now] };
  if (end !== undefined) return { ">=": [end, now] };
  return undefined;
}

function dateRange(tf: Record<string, unknown>, where: string): JsonLogic | undefined {
  const start = instant(tf.start, `${where}.start`);
  const end = instant(tf.end, `${where}.end`);
  if (start !== undefined && end !== undefined && end < start) fail(`${where}.end`, "is before start");
  return timestampGuard(start, end);
}

function minutesOf(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const m = typeof value === "string" ? /^([01]\d|2[0-3]):?([0-5]\d)$/.exec(value) : null;
  if (!m) fail(path, 'expected a 24-hour time "HH:mm"');
  return Number(m[1]) * 60 + Number(m[2]);
}

function weeklyWindow(tf: Record<string, unknown>, where: string): JsonLogic | undefined {
  const hasDays = tf.days !== undefined;
  const from = minutesOf(tf.startTime, `${where}.startTime`);
  const to = minutesOf(tf.endTime, `${where}.endTime`);
  if (!hasDays && from === undefined && to === undefined) return undefined;
  let days = [1, 2, 3, 4, 5, 6, 7];
  if (hasDays) {
    if (!Array.isArray(tf.days) || tf.days.length === 0) fail(`${where}.days`, "expected a non-empty list of days 1 (Monday) … 7 (Sunday)");
    days = [...new Set(tf.days.map((d, i) => (Number.isInteger(d) && d >= 1 && d <= 7 ? (d as number) : fail(`${where}.days[${i}]`, "expected 1 … 7"))))];
  }
  const offset = tf.timezoneOffsetMinutes ?? 0;
  if (typeof offset !== "number" || !Number.isInteger(offset) || Math.abs(offset) > 14 * 60) {
    fail(`${where}.timezoneOffsetMinutes`, "expected an integer between -840 and 840");
  }
  const groups = utcWindows(days, from ?? 0, to ?? DAY_MINUTES - 1, offset);
  const tests = groups.map(({ days: utcDays, from: a, to: b }) => {
    const time = { "<=": [hhmm(a), v("current_time"), hhmm(b)] };
    if (utcDays.length === 7 && hasDays === false) return time;
    return { and: [{ or: utcDays.map((d) => ({ "==": [v("current_day"), String(d)] })) }, time] };
  });
  return tests.length === 1 ? tests[0] : { or: tests };
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}${String(minutes % 60).padStart(2, "0")}`;

/**
 * Local weekly windows (days 1–7, minutes of the day, the audience's UTC offset) → UTC windows
 * grouped by identical time range. A window that crosses midnight in UTC (or locally, when
 * from > to) is split, the part after midnight counting for the next day.
 */
function utcWindows(days: number[], from: number, to: number, offset: number): { days: number[]; from: number; to: number }[] {
  const segments: { day: number; from: number; to: number }[] = [];
  for (const day of days) {
    const length = to >= from ? to - from : to + DAY_MINUTES - from;
    let start = ((((day - 1) * DAY_MINUTES + from - offset) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
    let remaining = length;
    for (;;) {
      const utcDay = Math.floor(start / DAY_MINUTES);
      const startInDay = start % DAY_MINUTES;
      const endInDay = Math.min(DAY_MINUTES - 1, startInDay + remaining);
      segments.push({ day: utcDay + 1, from: startInDay, to: endInDay });
      remaining -= endInDay - startInDay + 1;
      if (remaining < 0) break;
      start = ((utcDay + 1) % 7) * DAY_MINUTES;
    }
  }
  const groups = new Map<string, { days: number[]; from: number; to: number }>();
  for (const s of segments) {
    const key = `${s.from}-${s.to}`;
    const group = groups.get(key) ?? groups.set(key, { days: [], from: s.from, to: s.to }).get(key)!;
    if (!group.days.includes(s.day)) group.days.push(s.day);
  }
  return [...groups.values()].map((g) => ({ ...g, days: g.days.sort((a, b) => a - b) }));
}
