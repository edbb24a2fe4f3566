/**
 * json-logic conditions compiled into closures, with the semantics of json-logic-js 2.0.x
 * (the reference the incumbent evaluates with on every request). Nothing is interpreted per
 * request: operators are resolved, var paths pre-split and literal operands folded at compile time.
 *
 * Deliberate differences from the reference (the values computed are otherwise the same):
 * - an operator the compiler does not know is evaluated by json-logic-js itself when json-logic-js
 *   knows it (for example one registered with `jsonLogic.add_operation`); otherwise (including
 *   `method`, dotted names and Object.prototype names) it is rejected at compile time, even inside
 *   a branch that would never be evaluated;
 * - `log` is the identity (no console output driven by artifact content);
 * - nesting deeper than {@link MAX_DEPTH} is rejected instead of overflowing the stack;
 * - the work of one evaluation is bounded by {@link CONDITION_BUDGET} (see `spend`): a condition
 *   that would take longer, for example a `reduce` whose accumulator doubles on every element,
 *   throws `ODE_ERR_CONDITION_BUDGET` and its rule does not match, instead of blocking the process.
 */
import jsonLogic from "json-logic-js";
import { DecisioningError } from "../errors";

export type CompiledCondition = (data: Record<string, unknown>) => unknown;

/** Internal closure over the evaluation data (which may be any value inside map/filter/...). */
type Fn = (data: any) => any;
/** A compiled node: a compile-time constant (k = 0) or a closure (k = 1). */
type Node = { readonly k: 0; readonly v: unknown } | { readonly k: 1; readonly f: Fn };
type Builder = (args: readonly unknown[], depth: number) => Node;

const MAX_DEPTH = 200;

/**
 * Work units one evaluation of a condition may spend: array elements visited by map, filter,
 * reduce, all, some, none and missing, elements merged, 64 characters concatenated by cat. Real
 * conditions spend a few dozen; 100,000 takes about a millisecond.
 */
export const CONDITION_BUDGET = 100_000;
/** cat spends one unit per 64 characters of its result so far (copying text is cheap). */
const CHARS_PER_UNIT_SHIFT = 6;
// Evaluation is synchronous and never re-entrant, so one counter serves every condition: reset
// before each evaluation of a condition that contains an operator that spends (see compileCondition).
let remaining = CONDITION_BUDGET;
// Set while compiling when an operator that spends is met.
let compiledSpender = false;

function spend(units: number): void {
  remaining -= units;
  if (remaining < 0) {
    throw new DecisioningError("ODE_ERR_CONDITION_BUDGET", `A rule condition exceeded its evaluation budget (${CONDITION_BUDGET} units)`, {
      details: { budget: CONDITION_BUDGET },
    });
  }
}

const konst = (v: unknown): Node => ({ k: 0, v });
const dyn = (f: Fn): Node => ({ k: 1, f });
const fnOf = (n: Node): Fn => {
  if (n.k === 1) return n.f;
  const v = n.v;
  return () => v;
};
const isPrimitive = (v: unknown): boolean => (typeof v !== "object" && typeof v !== "function") || v === null;

/** Plain JavaScript truthiness, used by the engine on the final result of a condition. */
export function isTruthy(value: unknown): boolean {
  return !!value;
}

/** json-logic truthiness: like JavaScript, except that an empty array is falsy. */
function truthy(v: any): boolean {
  return v === true || (v !== false && (Array.isArray(v) ? v.length !== 0 : !!v));
}

function isLogic(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
}

/** The `var` walk: dotted path, `null` (or the default) when missing, whole data for an empty path. */
function lookup(data: any, path: any, dflt: any): any {
  const notFound = dflt === undefined ? null : dflt;
  if (path === undefined || path === "" || path === null) return data;
  const segs = String(path).split(".");
  for (let i = 0; i < segs.length; i++) {
    if (data === null || data === undefined) return notFound;
    data = data[segs[i]!];
    if (data === undefined) return notFound;
  }
  return data;
}

function getter(segs: readonly string[], nf: unknown): Fn {
  const [k1, k2, k3] = segs as [string, string, string];
  switch (segs.length) {
    case 1:
      return (d) => {
        if (d == null) return nf;
        const v = d[k1];
        return v === undefined ? nf : v;
      };
    case 2:
      return (d) => {
        if (d == null) return nf;
        let v = d[k1];
        if (v == null) return nf;
        v = v[k2];
        return v === undefined ? nf : v;
      };
    case 3:
      return (d) => {
        if (d == null) return nf;
        let v = d[k1];
        if (v == null) return nf;
        v = v[k2];
        if (v == null) return nf;
        v = v[k3];
        return v === undefined ? nf : v;
      };
    default:
      return (d) => {
        for (let i = 0; i < segs.length; i++) {
          if (d == null) return nf;
          d = d[segs[i]!];
          if (d === undefined) return nf;
        }
        return d;
      };
  }
}

/** Evaluates a value obtained at run time as json-logic, as the reference does inside `missing`. */
function applyDynamic(value: unknown, data: any): unknown {
  return isPrimitive(value) ? value : fnOf(compileNode(value, 0))(data);
}

function missingOf(vals: readonly unknown[], data: any): unknown[] {
  const keys: readonly unknown[] = Array.isArray(vals[0]) ? vals[0] : vals;
  spend(keys.length);
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = isPrimitive(key) ? lookup(data, key, undefined) : applyDynamic({ var: key }, data);
    if (v === null || v === "") out.push(key);
  }
  return out;
}

function inOp(a: any, b: any): boolean {
  if (!b || typeof b.indexOf === "undefined") return false;
  return b.indexOf(a) !== -1;
}

/** parseFloat as the reference applies it to `+`/`*` operands (a number only loses its sign of zero). */
function toNum(v: any): number {
  return typeof v === "number" ? (v === 0 ? 0 : v) : parseFloat(v);
}

function substr(source: any, start: any, end: any): string {
  if (end < 0) {
    const temp: any = String(source).substr(start);
    return temp.substr(0, temp.length + end);
  }
  return String(source).substr(start, end);
}

const compileArgs = (args: readonly unknown[], depth: number): Node[] => args.map((a) => compileNode(a, depth + 1));
const allConst = (nodes: readonly Node[]): boolean => nodes.every((n) => n.k === 0);
const arg = (nodes: readonly Node[], i: number): Node => nodes[i] ?? konst(undefined);

/** Constant-folds a pure node whose operands are all constants, when the result is a primitive. */
function fold(node: Node, operands: readonly Node[]): Node {
  if (node.k === 0 || !allConst(operands)) return node;
  try {
    remaining = CONDITION_BUDGET;
    const v = node.f(undefined);
    return isPrimitive(v) ? konst(v) : node;
  } catch {
    return node; // keep the run-time error
  }
}

/** Operands beyond an operator's arity are still evaluated by the reference (they may throw). */
function withExtras(node: Node, nodes: readonly Node[], used: number): Node {
  const extras = nodes.slice(used).filter((n) => n.k === 1).map(fnOf);
  if (extras.length === 0) return node;
  const main = fnOf(node);
  return dyn((d) => {
    for (let i = 0; i < extras.length; i++) extras[i]!(d);
    return main(d);
  });
}

/** A fixed-arity pure operator: evaluates every operand, applies `op` to the first `arity`. */
function fixed(arity: 1 | 2 | 3, op: (a: any, b: any, c: any) => any): Builder {
  return (args, depth) => {
    const nodes = compileArgs(args, depth);
    const [f, g, h] = [0, 1, 2].map((i) => fnOf(arg(nodes, i))) as [Fn, Fn, Fn];
    const node =
      arity === 1 ? dyn((d) => op(f(d), undefined, undefined))
      : arity === 2 ? dyn((d) => op(f(d), g(d), undefined))
      : dyn((d) => op(f(d), g(d), h(d)));
    return withExtras(fold(node, nodes.slice(0, arity)), nodes, arity);
  };
}

/** A variadic pure operator evaluated as a left fold over its operands. */
function variadic(run: (fns: readonly Fn[], d: any) => any): Builder {
  return (args, depth) => {
    const nodes = compileArgs(args, depth);
    const fns = nodes.map(fnOf);
    return fold(dyn((d) => run(fns, d)), nodes);
  };
}

type Cmp = (a: any, b: any) => boolean;
type CmpShapes = [cd: (a: any, g: Fn) => Fn, dc: (f: Fn, b: any) => Fn, dd: (f: Fn, g: Fn) => Fn, op: Cmp];
// One closure per (operator, operand shape) so that every hot call site stays monomorphic.
const COMPARISONS: Record<string, CmpShapes> = {
  "==": [(a, g) => (d) => a == g(d), (f, b) => (d) => f(d) == b, (f, g) => (d) => f(d) == g(d), (a, b) => a == b],
  "!=": [(a, g) => (d) => a != g(d), (f, b) => (d) => f(d) != b, (f, g) => (d) => f(d) != g(d), (a, b) => a != b],
  "===": [(a, g) => (d) => a === g(d), (f, b) => (d) => f(d) === b, (f, g) => (d) => f(d) === g(d), (a, b) => a === b],
  "!==": [(a, g) => (d) => a !== g(d), (f, b) => (d) => f(d) !== b, (f, g) => (d) => f(d) !== g(d), (a, b) => a !== b],
  ">": [(a, g) => (d) => a > g(d), (f, b) => (d) => f(d) > b, (f, g) => (d) => f(d) > g(d), (a, b) => a > b],
  ">=": [(a, g) => (d) => a >= g(d), (f, b) => (d) => f(d) >= b, (f, g) => (d) => f(d) >= g(d), (a, b) => a >= b],
  "<": [(a, g) => (d) => a < g(d), (f, b) => (d) => f(d) < b, (f, g) => (d) => f(d) < g(d), (a, b) => a < b],
  "<=": [(a, g) => (d) => a <= g(d), (f, b) => (d) => f(d) <= b, (f, g) => (d) => f(d) <= g(d), (a, b) => a <= b],
};
// The 3-operand "between" forms of < and <= (the third operand evaluating to undefined means 2-operand).
const BETWEEN: Record<string, [cdc: (a: any, g: Fn, c: any) => Fn, ddd: (f: Fn, g: Fn, h: Fn) => Fn]> = {
  "<": [
    (a, g, c) => (d) => { const b = g(d); return a < b && b < c; },
    (f, g, h) => (d) => { const a = f(d), b = g(d), c = h(d); return c === undefined ? a < b : a < b && b < c; },
  ],
  "<=": [
    (a, g, c) => (d) => { const b = g(d); return a <= b && b <= c; },
    (f, g, h) => (d) => { const a = f(d), b = g(d), c = h(d); return c === undefined ? a <= b : a <= b && b <= c; },
  ],
};

function comparison(op: string): Builder {
  const [cd, dc, dd, pure] = COMPARISONS[op]!;
  const between = BETWEEN[op];
  return (args, depth) => {
    const nodes = compileArgs(args, depth);
    const [A, B, C] = [arg(nodes, 0), arg(nodes, 1), arg(nodes, 2)];
    if (between && !(C.k === 0 && C.v === undefined)) {
      const node = A.k === 0 && B.k === 1 && C.k === 0 ? dyn(between[0](A.v, B.f, C.v)) : dyn(between[1](fnOf(A), fnOf(B), fnOf(C)));
      return withExtras(fold(node, [A, B, C]), nodes, 3);
    }
    let node: Node;
    if (A.k === 0 && B.k === 0) {
      const [a, b] = [A.v, B.v];
      node = fold(dyn(() => pure(a, b)), [A, B]);
    } else if (A.k === 0) node = dyn(cd(A.v, fnOf(B)));
    else if (B.k === 0) node = dyn(dc(A.f, B.v));
    else node = dyn(dd(A.f, B.f));
    return withExtras(node, nodes, between ? 3 : 2);
  };
}

const buildIn: Builder = (args, depth) => {
  const nodes = compileArgs(args, depth);
  const [A, B] = [arg(nodes, 0), arg(nodes, 1)];
  let node: Node;
  if (A.k === 0 && B.k === 1) {
    const a = A.v, g = B.f;
    node = dyn((d) => {
      const b = g(d);
      return typeof b === "string" ? b !== "" && b.indexOf(a as string) !== -1 : inOp(a, b);
    });
  } else if (A.k === 1 && B.k === 0 && Array.isArray(B.v) && B.v.length >= 8) {
    const set = new Set<unknown>(B.v), f = A.f;
    node = dyn((d) => {
      const a = f(d);
      return a === a && set.has(a); // indexOf never finds NaN
    });
  } else {
    const f = fnOf(A), g = fnOf(B);
    node = fold(dyn((d) => inOp(f(d), g(d))), [A, B]);
  }
  return withExtras(node, nodes, 2);
};

const buildVar: Builder = (args, depth) => {
  const nodes = compileArgs(args, depth);
  const [P, D] = [arg(nodes, 0), arg(nodes, 1)];
  let node: Node;
  if (P.k === 0 && D.k === 0 && isPrimitive(P.v)) {
    const path = P.v;
    node = path === undefined || path === "" || path === null
      ? dyn((d) => d)
      : dyn(getter(String(path).split("."), D.v === undefined ? null : D.v));
  } else {
    const p = fnOf(P), q = fnOf(D);
    node = dyn((d) => lookup(d, p(d), q(d)));
  }
  return withExtras(node, nodes, 2);
};

/** `and` / `or`: short-circuit, return the deciding operand (json-logic truthiness). */
function logical(isAnd: boolean): Builder {
  return (args, depth) => {
    const nodes = compileArgs(args, depth);
    if (nodes.length === 0) return konst(undefined);
    if (nodes.length === 1) return nodes[0]!;
    const fns = nodes.map(fnOf);
    let node: Node;
    if (fns.length === 2) {
      const [f, g] = fns as [Fn, Fn];
      node = isAnd
        ? dyn((d) => { const a = f(d); return truthy(a) ? g(d) : a; })
        : dyn((d) => { const a = f(d); return truthy(a) ? a : g(d); });
    } else {
      const last = fns.length - 1;
      node = isAnd
        ? dyn((d) => {
            for (let i = 0; i < last; i++) { const v = fns[i]!(d); if (!truthy(v)) return v; }
            return fns[last]!(d);
          })
        : dyn((d) => {
            for (let i = 0; i < last; i++) { const v = fns[i]!(d); if (truthy(v)) return v; }
            return fns[last]!(d);
          });
    }
    return fold(node, nodes);
  };
}

const buildIf: Builder = (args, depth) => {
  const nodes = compileArgs(args, depth);
  const fns = nodes.map(fnOf);
  let node: Node;
  if (nodes.length === 0) return konst(null);
  if (nodes.length === 1) return nodes[0]!;
  if (nodes.length <= 3) {
    const [c, t] = fns as [Fn, Fn];
    const e = nodes.length === 3 ? fns[2]! : () => null;
    node = dyn((d) => (truthy(c(d)) ? t(d) : e(d)));
  } else {
    node = dyn((d) => {
      let i = 0;
      for (; i < fns.length - 1; i += 2) if (truthy(fns[i]!(d))) return fns[i + 1]!(d);
      return fns.length === i + 1 ? fns[i]!(d) : null;
    });
  }
  return fold(node, nodes);
};

/** map/filter/reduce/all/none/some: the inner logic sees each element (reduce: {current, accumulator}). */
function scoped(op: string): Builder {
  return (args, depth) => {
    const src = fnOf(compileNode(args[0], depth + 1));
    const inner = fnOf(compileNode(args[1], depth + 1));
    const hasInit = op === "reduce" && typeof args[2] !== "undefined";
    const init = hasInit ? fnOf(compileNode(args[2], depth + 1)) : () => null;
    // Never evaluated by the reference, but still validated.
    for (let i = op === "reduce" ? 3 : 2; i < args.length; i++) compileNode(args[i], depth + 1);
    const each = (x: unknown): boolean => truthy(inner(x));
    compiledSpender = true;
    switch (op) {
      case "map":
        return dyn((d) => { const a = src(d); if (!Array.isArray(a)) return []; spend(a.length); return a.map((x) => inner(x)); });
      case "filter":
        return dyn((d) => { const a = src(d); if (!Array.isArray(a)) return []; spend(a.length); return a.filter(each); });
      case "reduce":
        return dyn((d) => {
          const a = src(d), initial = init(d);
          if (!Array.isArray(a)) return initial;
          spend(a.length);
          return a.reduce((accumulator, current) => inner({ current, accumulator }), initial);
        });
      case "all":
        return dyn((d) => {
          const a = src(d);
          if (!Array.isArray(a) || a.length === 0) return false;
          spend(a.length);
          for (let i = 0; i < a.length; i++) if (!each(a[i])) return false;
          return true;
        });
      default: {
        // some (found → true) and none (found → false), both with empty/non-array fallbacks.
        const found = op === "some";
        return dyn((d) => {
          const a = src(d);
          if (!Array.isArray(a)) return !found;
          spend(a.length);
          for (let i = 0; i < a.length; i++) if (each(a[i])) return found;
          return !found;
        });
      }
    }
  };
}

/** Marks the condition being compiled as one that spends budget (its evaluations reset the counter). */
function spender(build: Builder): Builder {
  return (args, depth) => {
    compiledSpender = true;
    return build(args, depth);
  };
}

const BUILDERS = new Map<string, Builder>([
  ...Object.keys(COMPARISONS).map((op): [string, Builder] => [op, comparison(op)]),
  ["var", buildVar],
  ["in", buildIn],
  ["and", logical(true)],
  ["or", logical(false)],
  ["if", buildIf],
  ["?:", buildIf],
  ...["map", "filter", "reduce", "all", "none", "some"].map((op): [string, Builder] => [op, scoped(op)]),
  ["!", fixed(1, (a) => !truthy(a))],
  ["!!", fixed(1, (a) => truthy(a))],
  ["log", fixed(1, (a) => a)],
  ["-", fixed(2, (a, b) => (b === undefined ? -a : a - b))],
  ["/", fixed(2, (a, b) => a / b)],
  ["%", fixed(2, (a, b) => a % b)],
  ["substr", fixed(3, substr)],
  ["+", variadic((fns, d) => { let s = 0; for (const f of fns) s += toNum(f(d)); return s; })],
  ["*", variadic((fns, d) => {
    if (fns.length === 0) return ([] as number[]).reduce((a, b) => a * b); // TypeError, as the reference
    let acc: any = fns[0]!(d);
    for (let i = 1; i < fns.length; i++) acc = toNum(acc) * toNum(fns[i]!(d));
    return acc;
  })],
  ["min", variadic((fns, d) => { let m = Infinity; for (const f of fns) m = Math.min(m, f(d)); return m; })],
  ["max", variadic((fns, d) => { let m = -Infinity; for (const f of fns) m = Math.max(m, f(d)); return m; })],
  ["cat", spender(variadic((fns, d) => {
    let s = "";
    for (const f of fns) { const v = f(d); s += v == null ? "" : String(v); spend(s.length >>> CHARS_PER_UNIT_SHIFT); }
    return s;
  }))],
  ["merge", spender(variadic((fns, d) => {
    let r: unknown[] = [];
    for (const f of fns) { r = r.concat(f(d)); spend(r.length); }
    return r;
  }))],
  ["missing", (args, depth) => {
    compiledSpender = true;
    const fns = compileArgs(args, depth).map(fnOf);
    return dyn((d) => missingOf(fns.map((f) => f(d)), d));
  }],
  ["missing_some", (args, depth) => {
    compiledSpender = true;
    const nodes = compileArgs(args, depth);
    const need = fnOf(arg(nodes, 0)), options = fnOf(arg(nodes, 1));
    return withExtras(dyn((d) => {
      const n = need(d), opts = options(d);
      const vals = Array.isArray(opts) ? opts.map((o) => applyDynamic(o, d)) : [applyDynamic(opts, d)];
      const missing = missingOf(vals, d);
      return opts.length - missing.length >= n ? [] : missing;
    }), nodes, 2);
  }],
]);

/**
 * Whether json-logic-js (possibly extended with `add_operation`) knows an operator the compiler
 * does not. Names that could reach Object.prototype or arbitrary methods are never delegated.
 */
function jsonLogicKnows(op: string): boolean {
  if (op === "method" || op.includes(".") || op in Object.prototype) return false;
  try {
    jsonLogic.apply({ [op]: [] } as never, {});
    return true;
  } catch (err) {
    return !(err instanceof Error && err.message.startsWith("Unrecognized operation"));
  }
}

function compileNode(logic: unknown, depth: number): Node {
  if (depth > MAX_DEPTH) {
    throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `Condition nesting exceeds ${MAX_DEPTH} levels`, {
      details: { maxDepth: MAX_DEPTH },
    });
  }
  if (Array.isArray(logic)) {
    const nodes = compileArgs(logic, depth);
    if (allConst(nodes)) return konst(Object.freeze(nodes.map((n) => (n as { v: unknown }).v)));
    const fns = nodes.map(fnOf);
    return dyn((d) => {
      const out: unknown[] = [];
      for (let i = 0; i < fns.length; i++) out.push(fns[i]!(d));
      return out;
    });
  }
  if (!isLogic(logic)) return konst(logic);
  const op = Object.keys(logic)[0]!;
  const build = BUILDERS.get(op);
  if (build === undefined) {
    if (jsonLogicKnows(op)) {
      const sub = logic;
      return dyn((d) => jsonLogic.apply(sub as never, d));
    }
    throw new DecisioningError("ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR", `Unsupported json-logic operator "${op.slice(0, 100)}"`, {
      details: { operator: op },
    });
  }
  const values = logic[op];
  return build(Array.isArray(values) ? values : [values], depth);
}

/**
 * Compiles a json-logic expression into a closure with the semantics of json-logic-js 2.0.x.
 * Throws a DecisioningError `ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR` (details.operator) for an
 * operator that is not supported. Errors raised while evaluating (as the reference would) propagate,
 * and so does `ODE_ERR_CONDITION_BUDGET` when one evaluation exceeds {@link CONDITION_BUDGET}.
 * @example
 * const cond = compileCondition({ "==": ["firefox", { var: "user.browserType" }] });
 * isTruthy(cond({ user: { browserType: "firefox" } })); // true
 */
export function compileCondition(logic: unknown): CompiledCondition {
  compiledSpender = false;
  const node = compileNode(logic, 0);
  const evaluate = fnOf(node);
  if (!compiledSpender) return evaluate; // nothing in it can take long: no per-call reset
  return (data) => {
    remaining = CONDITION_BUDGET;
    return evaluate(data);
  };
}

/**
 * Checks, without compiling, that `logic` would compile: every operator is supported (by the
 * compiler or json-logic-js) and nesting stays within bounds. Throws the same coded errors as
 * {@link compileCondition}. Used to validate a whole artifact cheaply before it is swapped in.
 */
export function checkCondition(logic: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) {
    throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `Condition nesting exceeds ${MAX_DEPTH} levels`, {
      details: { maxDepth: MAX_DEPTH },
    });
  }
  if (Array.isArray(logic)) {
    for (const item of logic) checkCondition(item, depth + 1);
    return;
  }
  if (!isLogic(logic)) return;
  const op = Object.keys(logic)[0]!;
  if (!BUILDERS.has(op)) {
    if (jsonLogicKnows(op)) return;
    throw new DecisioningError("ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR", `Unsupported json-logic operator "${op.slice(0, 100)}"`, {
      details: { operator: op },
    });
  }
  checkCondition(logic[op], depth + 1);
}

/** Every operator name used anywhere in `logic`, supported or not. */
export function collectOperators(logic: unknown): Set<string> {
  const ops = new Set<string>();
  const seen = new Set<unknown>(); // guards against cyclic input built in JavaScript
  const stack: unknown[] = [logic];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== "object" || x === null || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) {
      for (const item of x) stack.push(item);
    } else if (isLogic(x)) {
      const op = Object.keys(x)[0]!;
      ops.add(op);
      stack.push(x[op]);
    }
  }
  return ops;
}
