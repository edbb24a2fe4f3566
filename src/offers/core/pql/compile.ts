/**
 * Compiles a PQL syntax tree into nested closures, once; evaluation then walks no tree and parses
 * nothing. Names are resolved at compile time (bound variables become slot reads), unknown
 * functions and wrong arities are compile errors, `like` and `matches` patterns are prepared here.
 * Evaluation is bounded: every loop iteration charges the size of the code it runs to a step
 * budget, so no rule can run for long whatever the size of the profile data.
 */
import type { Expr, ExprOf, OccursTail, TimeRef, TimeUnit } from "./ast";
import { pqlBudgetError, pqlCompileError } from "./errors";
import { compileRegex, FUNCTIONS, METHODS, UNSUPPORTED_FUNCTIONS } from "./functions";
import { likeMatcher } from "./like";
import { parsePql } from "./parser";
import { addUnits, bucket, DAY_MS, period, startOfDay } from "./time";
import { asArray, equal, field, isMissing, order, PqlDate, toInstant, truthy, type Meter } from "./values";

/** What a rule is evaluated against. */
export interface PqlInput {
  /** The XDM profile (bare paths and `profile.` resolve here). */
  profile?: unknown;
  /** The profile's experience events (`xEvent`). */
  events?: unknown;
  /** `xdm:contextData` of the request: `[{ "@type": schemaId, "xdm:data": {…} }]` (`@{schemaId}`). */
  context?: unknown;
  /** Evaluation instant, epoch ms (`now`, `today`, `occurs`). */
  now: number;
}

export interface CompiledPql {
  readonly source: string;
  /** The rule's value as a boolean (truthiness); throws a coded error when over budget. */
  evaluate(input: PqlInput): boolean;
  /** The raw value (for the CLI and tests). */
  value(input: PqlInput): unknown;
}

export const DEFAULT_STEP_BUDGET = 1_000_000;

interface Run extends Meter {
  input: PqlInput;
  now: number;
}

interface Frame {
  /** Implicit root of bare paths: the profile, or the element inside `array[condition]`. */
  root: unknown;
  slots: unknown[];
  run: Run;
}

type Fn = (f: Frame) => unknown;

interface Code {
  fn: Fn;
  /** Number of nodes: what one evaluation of this code costs, charged per loop iteration. */
  cost: number;
}

const NAMED_DATES: Record<string, (now: number) => number> = {
  now: (now) => now,
  today: (now) => startOfDay(now),
  yesterday: (now) => startOfDay(now) - DAY_MS,
  tomorrow: (now) => startOfDay(now) + DAY_MS,
};

class Compiler {
  private readonly scopes: Map<string, number>[] = [];
  slotCount = 0;

  compile(e: Expr): Code {
    switch (e.kind) {
      case "literal":
        return { fn: () => e.value, cost: 1 };
      case "list":
        return this.list(e);
      case "name":
        return this.name(e);
      case "context":
        return { fn: (f) => contextData(f.run.input.context, e.schema), cost: 1 };
      case "member":
        return this.member(e);
      case "method":
        return this.method(e);
      case "call":
        return this.call(e);
      case "filter":
        return this.filter(e);
      case "negate":
        return this.negate(e);
      case "not":
        return this.not(e);
      case "logical":
        return this.logical(e);
      case "compare":
        return this.compare(e);
      case "arith":
        return this.arith(e);
      case "in":
        return this.membership(e);
      case "like":
        return this.like(e);
      case "occurs":
        return this.occurs(e);
      case "let":
        return this.let(e);
      case "quantifier":
      case "select":
        return this.loop(e);
    }
  }

  private list(e: ExprOf<"list">): Code {
    const items = e.items.map((i) => this.compile(i));
    return { fn: (f) => items.map((i) => i.fn(f)), cost: 1 + sum(items) };
  }

  private lookupSlot(name: string): number | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const slot = this.scopes[i]!.get(name);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  private name(e: ExprOf<"name">): Code {
    const slot = this.lookupSlot(e.name);
    if (slot !== undefined) return { fn: (f) => f.slots[slot] ?? null, cost: 1 };
    if (e.name === "profile") return { fn: (f) => f.run.input.profile ?? null, cost: 1 };
    if (e.name === "xEvent") return { fn: (f) => f.run.input.events ?? null, cost: 1 };
    const lower = e.name.toLowerCase();
    const named = Object.hasOwn(NAMED_DATES, lower) ? NAMED_DATES[lower] : undefined;
    if (named) return { fn: (f) => new PqlDate(named(f.run.now)), cost: 1 };
    const name = e.name;
    return { fn: (f) => field(f.root, name), cost: 1 };
  }

  private member(e: ExprOf<"member">): Code {
    const object = this.compile(e.object);
    const name = e.name;
    return { fn: (f) => field(object.fn(f), name), cost: object.cost + 1 };
  }

  private checkArity(name: string, argc: number, min: number, max: number, e: Expr): void {
    if (argc < min || argc > max) {
      const expected = min === max ? `${min}` : `${min} to ${max}`;
      throw pqlCompileError("syntax", `${name}() takes ${expected} argument(s), got ${argc}`, e.at);
    }
  }

  private method(e: ExprOf<"method">): Code {
    if (UNSUPPORTED_FUNCTIONS.has(e.name))
      throw pqlCompileError("unsupported", `the function "${e.name}"`, e.at);
    const object = this.compile(e.object);
    if (e.name === "matches") return this.matches(e, object);
    const callable = Object.hasOwn(METHODS, e.name) ? METHODS[e.name] : undefined;
    if (!callable) throw pqlCompileError("syntax", `unknown function "${e.name}"`, e.at);
    this.checkArity(e.name, e.args.length, callable.min, callable.max, e);
    const args = e.args.map((a) => this.compile(a));
    return {
      fn: (f) =>
        callable.run(
          object.fn(f),
          args.map((a) => a.fn(f)),
          f.run,
          f.run.now,
        ),
      cost: object.cost + sum(args) + 1,
    };
  }

  private matches(e: ExprOf<"method">, object: Code): Code {
    this.checkArity("matches", e.args.length, 1, 1, e);
    const arg = e.args[0]!;
    if (arg.kind !== "literal" || typeof arg.value !== "string") {
      throw pqlCompileError("syntax", "matches() takes a string literal pattern", arg.at);
    }
    const test = compileRegex(arg.value, arg.at);
    return {
      fn: (f) => {
        const s = object.fn(f);
        return typeof s === "string" ? test(s, f.run) : false;
      },
      cost: object.cost + 2,
    };
  }

  private call(e: ExprOf<"call">): Code {
    if (UNSUPPORTED_FUNCTIONS.has(e.name))
      throw pqlCompileError("unsupported", `the function "${e.name}"`, e.at);
    if (e.name === "if") return this.conditional(e);
    const callable = Object.hasOwn(FUNCTIONS, e.name) ? FUNCTIONS[e.name] : undefined;
    if (!callable) throw pqlCompileError("syntax", `unknown function "${e.name}"`, e.at);
    this.checkArity(e.name, e.args.length, callable.min, callable.max, e);
    const args = e.args.map((a) => this.compile(a));
    return {
      fn: (f) =>
        callable.run(
          f.run.input.profile ?? null,
          args.map((a) => a.fn(f)),
          f.run,
          f.run.now,
        ),
      cost: sum(args) + 1,
    };
  }

  private conditional(e: ExprOf<"call">): Code {
    this.checkArity("if", e.args.length, 3, 3, e);
    const [c, a, b] = e.args.map((x) => this.compile(x)) as [Code, Code, Code];
    return { fn: (f) => (truthy(c.fn(f)) ? a.fn(f) : b.fn(f)), cost: c.cost + a.cost + b.cost + 1 };
  }

  private filter(e: ExprOf<"filter">): Code {
    const object = this.compile(e.object);
    const cond = e.condition;
    if (cond.kind === "literal" && typeof cond.value === "number") {
      const index = cond.value;
      return { fn: (f) => asArray(object.fn(f))[index] ?? null, cost: object.cost + 1 };
    }
    const condition = this.compile(cond);
    return {
      fn: (f) =>
        asArray(object.fn(f)).filter((element) => {
          f.run.charge(condition.cost);
          return truthy(condition.fn({ root: element, slots: f.slots, run: f.run }));
        }),
      cost: object.cost + condition.cost + 1,
    };
  }

  private negate(e: ExprOf<"negate">): Code {
    const operand = this.compile(e.operand);
    return {
      fn: (f) => {
        const v = operand.fn(f);
        return typeof v === "number" ? -v : null;
      },
      cost: operand.cost + 1,
    };
  }

  private not(e: ExprOf<"not">): Code {
    const operand = this.compile(e.operand);
    return { fn: (f) => !truthy(operand.fn(f)), cost: operand.cost + 1 };
  }

  private logical(e: ExprOf<"logical">): Code {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const fn: Fn =
      e.op === "and" ? (f) => truthy(l.fn(f)) && truthy(r.fn(f)) : (f) => truthy(l.fn(f)) || truthy(r.fn(f));
    return { fn, cost: l.cost + r.cost + 1 };
  }

  private compare(e: ExprOf<"compare">): Code {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const test = COMPARISONS[e.op];
    return {
      fn: (f) => {
        const a = l.fn(f);
        const b = r.fn(f);
        return isMissing(a) || isMissing(b) ? false : test(a, b, f.run);
      },
      cost: l.cost + r.cost + 1,
    };
  }

  private arith(e: ExprOf<"arith">): Code {
    const l = this.compile(e.left);
    const r = this.compile(e.right);
    const op = ARITHMETIC[e.op];
    return {
      fn: (f) => {
        const a = l.fn(f);
        const b = r.fn(f);
        if (typeof a !== "number" || typeof b !== "number") return null;
        const v = op(a, b);
        return Number.isFinite(v) ? v : null;
      },
      cost: l.cost + r.cost + 1,
    };
  }

  private membership(e: ExprOf<"in">): Code {
    const value = this.compile(e.value);
    const collection = this.compile(e.collection);
    const negated = e.negated;
    return {
      fn: (f) => {
        const v = value.fn(f);
        const c = collection.fn(f);
        if (isMissing(v) || !Array.isArray(c)) return false;
        const member = c.some((x) => equal(x, v, f.run));
        return negated ? !member : member;
      },
      cost: value.cost + collection.cost + 1,
    };
  }

  private like(e: ExprOf<"like">): Code {
    const value = this.compile(e.value);
    const test = likeMatcher(e.pattern);
    const patternLength = e.pattern.length;
    return {
      fn: (f) => {
        const s = value.fn(f);
        if (typeof s !== "string") return false;
        f.run.charge(1 + ((s.length * (patternLength + 1)) >> 6));
        return test(s);
      },
      cost: value.cost + 1,
    };
  }

  private timeRef(ref: TimeRef): { fn: (f: Frame) => [number, number] | undefined; cost: number } {
    if (ref.kind === "named") {
      const at = NAMED_DATES[ref.name]!;
      return { fn: (f) => [at(f.run.now), at(f.run.now)], cost: 1 };
    }
    if (ref.kind === "period") return { fn: (f) => period(f.run.now, ref.anchor, ref.unit), cost: 1 };
    const code = this.compile(ref.expr);
    return {
      fn: (f) => {
        const ms = toInstant(code.fn(f));
        return ms === undefined ? undefined : [ms, ms];
      },
      cost: code.cost,
    };
  }

  private occurs(e: ExprOf<"occurs">): Code {
    const value = this.compile(e.value);
    const test = this.occursTest(e.tail);
    return {
      fn: (f) => {
        const v = value.fn(f);
        const t = typeof v === "number" ? v : toInstant(v);
        return t === undefined ? false : test.fn(f, t);
      },
      cost: value.cost + test.cost + 1,
    };
  }

  private occursTest(tail: OccursTail): { fn: (f: Frame, t: number) => boolean; cost: number } {
    if (tail.form === "between") {
      const from = this.timeRef(tail.from);
      const to = this.timeRef(tail.to);
      return {
        fn: (f, t) => {
          const a = from.fn(f);
          const b = to.fn(f);
          return a !== undefined && b !== undefined && a[0] <= t && t <= b[1];
        },
        cost: from.cost + to.cost,
      };
    }
    const ref = this.timeRef(tail.ref);
    const check = occursCheck(tail);
    return {
      fn: (f, t) => {
        const r = ref.fn(f);
        return r !== undefined && check(t, r);
      },
      cost: ref.cost,
    };
  }

  private let(e: ExprOf<"let">): Code {
    const value = this.compile(e.value);
    const slot = this.slotCount++;
    this.scopes.push(new Map([[e.name, slot]]));
    const body = this.compile(e.body);
    this.scopes.pop();
    return {
      fn: (f) => {
        f.slots[slot] = value.fn(f);
        return body.fn(f);
      },
      cost: value.cost + body.cost + 1,
    };
  }

  private loop(e: ExprOf<"quantifier"> | ExprOf<"select">): Code {
    const source = this.compile(e.source);
    const slot = this.slotCount++;
    this.scopes.push(new Map([[e.variable, slot]]));
    const condition = e.condition ? this.compile(e.condition) : undefined;
    this.scopes.pop();
    const cost = 1 + (condition?.cost ?? 0);
    const holds = (f: Frame, element: unknown): boolean => {
      f.run.charge(cost);
      f.slots[slot] = element;
      return condition ? truthy(condition.fn(f)) : true;
    };
    const total = source.cost + cost + 1;
    if (e.kind === "select") {
      return { fn: (f) => asArray(source.fn(f)).filter((x) => holds(f, x)), cost: total };
    }
    if (e.quantifier === "exists")
      return { fn: (f) => asArray(source.fn(f)).some((x) => holds(f, x)), cost: total };
    return { fn: (f) => asArray(source.fn(f)).every((x) => holds(f, x)), cost: total };
  }
}

function sum(codes: Code[]): number {
  return codes.reduce((a, c) => a + c.cost, 0);
}

const COMPARISONS: Record<ExprOf<"compare">["op"], (a: unknown, b: unknown, m: Meter) => boolean> = {
  "=": (a, b, m) => equal(a, b, m),
  "!=": (a, b, m) => !equal(a, b, m),
  "<": (a, b) => (order(a, b) ?? 0) < 0,
  "<=": (a, b) => {
    const o = order(a, b);
    return o !== undefined && o <= 0;
  },
  ">": (a, b) => (order(a, b) ?? 0) > 0,
  ">=": (a, b) => {
    const o = order(a, b);
    return o !== undefined && o >= 0;
  },
};

const ARITHMETIC: Record<ExprOf<"arith">["op"], (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => (b === 0 ? NaN : a / b),
  "%": (a, b) => (b === 0 ? NaN : a % b),
};

/** The check of an `occurs` tail other than `between`, given T and the reference interval. */
function occursCheck(
  tail: Exclude<OccursTail, { form: "between" }>,
): (t: number, r: [number, number]) => boolean {
  if (tail.form === "on") {
    return (t, [start, end]) =>
      start === end ? startOfDay(t) === startOfDay(start) : start <= t && t <= end;
  }
  if (tail.form === "direction") {
    if (tail.direction === "before") return (t, [start]) => t < start;
    if (tail.direction === "after") return (t, [, end]) => t > end;
    return (t, [start]) => t >= start;
  }
  const { op, amount, unit } = tail;
  if (tail.direction === "before") {
    return (t, [base]) => {
      const bound = addUnits(base, -amount, unit);
      return relation(op, t, bound, base, unit, -1);
    };
  }
  return (t, [, base]) => relation(op, t, addUnits(base, amount, unit), base, unit, 1);
}

/** `T occurs <op> N unit before|after R`: bound = R ∓ N·unit; `sign` is -1 for before, +1 for after. */
function relation(op: string, t: number, bound: number, base: number, unit: TimeUnit, sign: -1 | 1): boolean {
  const [lo, hi] = bucket(bound, unit);
  switch (op) {
    case "=":
      return lo <= t && t <= hi;
    case "!=":
      return t < lo || t > hi;
    case "<=":
      return sign < 0 ? bound <= t && t <= base : base <= t && t <= bound;
    case "<":
      return sign < 0 ? bound < t && t <= base : base <= t && t < bound;
    case ">=":
      return sign < 0 ? t <= bound : t >= bound;
    default:
      return sign < 0 ? t < bound : t > bound;
  }
}

/** `@{schemaId}`: the data of the context item(s) of that type; an array when several share it. */
function contextData(context: unknown, schema: string): unknown {
  const matches: unknown[] = [];
  for (const item of asArray(context)) {
    if (field(item, "@type") === schema) matches.push(field(item, "data"));
  }
  return matches.length === 0 ? null : matches.length === 1 ? matches[0] : matches;
}

class Budget implements Meter {
  steps = 0;
  constructor(private readonly limit: number) {}
  charge(steps: number): void {
    this.steps += steps;
    if (this.steps > this.limit) throw pqlBudgetError(this.limit);
  }
}

export interface CompileOptions {
  /** Steps one evaluation may take (loop iterations weighted by the size of their body). */
  stepBudget?: number;
}

/** Parses and compiles a rule text; throws a coded error naming line and column. */
export function compilePql(source: string, options: CompileOptions = {}): CompiledPql {
  const compiler = new Compiler();
  const code = compiler.compile(parsePql(source));
  const limit = options.stepBudget ?? DEFAULT_STEP_BUDGET;
  const slotCount = compiler.slotCount;
  const value = (input: PqlInput): unknown => {
    const run: Run = Object.assign(new Budget(limit), { input, now: input.now });
    return code.fn({ root: input.profile ?? null, slots: new Array<unknown>(slotCount), run });
  };
  return { source, value, evaluate: (input) => truthy(value(input)) };
}
