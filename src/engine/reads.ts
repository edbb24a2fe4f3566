/**
 * Which parts of the rule context a condition can read, found once at compile time so that a
 * decision computes only those parts (parsing the page URL, the user agent, building the `mbox`
 * parameters object …). The answer is conservative: anything that may read data through a path
 * not known at compile time (a computed `var` path, the whole data, `missing`, an operator
 * evaluated by json-logic-js) reads everything.
 */

/** `page.*` (from the request's or the detail's address). */
export const READS_PAGE = 1;
/** `referring.*`. */
export const READS_REFERRING = 2;
/** `user.*` (user agent and client hints). */
export const READS_USER = 4;
/** `geo.*`. */
export const READS_GEO = 8;
/** `current_timestamp`, `current_time`, `current_day`. */
export const READS_TIME = 16;
/** `mbox.*` (the detail's parameters). */
export const READS_PARAMETERS = 32;
export const READS_ALL = 63;

const ROOTS: ReadonlyMap<string, number> = new Map([
  ["page", READS_PAGE],
  ["referring", READS_REFERRING],
  ["user", READS_USER],
  ["geo", READS_GEO],
  ["current_timestamp", READS_TIME],
  ["current_time", READS_TIME],
  ["current_day", READS_TIME],
  ["mbox", READS_PARAMETERS],
]);

/** Operators the condition compiler evaluates itself; any other one reads everything. */
const DATA_BLIND_OPERATORS = new Set([
  "==",
  "!=",
  "===",
  "!==",
  ">",
  ">=",
  "<",
  "<=",
  "in",
  "and",
  "or",
  "if",
  "?:",
  "!",
  "!!",
  "log",
  "-",
  "/",
  "%",
  "substr",
  "+",
  "*",
  "min",
  "max",
  "cat",
  "merge",
  "map",
  "filter",
  "reduce",
  "all",
  "none",
  "some",
]);

const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== "object" && typeof v !== "function");

function isLogic(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
}

/** What a constant `var` path reads: its first segment's part (`allocation` and unknown roots: nothing). */
function pathReads(path: unknown): number {
  if (path === undefined || path === null || path === "") return READS_ALL;
  const root = String(path).split(".")[0]!;
  return ROOTS.get(root) ?? 0;
}

/** The READS_* bits of a json-logic condition (a bounded walk: conditions were checked before). */
export function conditionReads(logic: unknown): number {
  let reads = 0;
  const stack: unknown[] = [logic];
  while (stack.length > 0 && reads !== READS_ALL) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      for (const item of x) stack.push(item);
      continue;
    }
    if (!isLogic(x)) continue;
    const op = Object.keys(x)[0]!;
    const args = x[op];
    if (op === "var") {
      const path = Array.isArray(args) ? args[0] : args;
      reads |= isPrimitive(path) ? pathReads(path) : READS_ALL;
    } else if (!DATA_BLIND_OPERATORS.has(op)) {
      reads = READS_ALL;
    }
    stack.push(args);
  }
  return reads;
}
