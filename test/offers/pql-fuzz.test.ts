/**
 * Grammar-driven fuzzing of the PQL compiler: thousands of random valid expressions (generated
 * from the grammar) and invalid ones (mutations and random character soup). The compiler may
 * only answer with a compiled rule or a coded PQL error, and every evaluation ends, within its
 * step budget, with a boolean or a coded budget error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { compilePql, type CompiledPql } from "../../src/offers/core/pql";

const NAMES = [
  "person",
  "age",
  "name",
  "interests",
  "xEvent",
  "a",
  "b",
  "timestamp",
  "segmentMembership",
  "profile",
];
const STEP_BUDGET = 20_000;

const ident = fc.constantFrom(...NAMES);
const path = fc.array(ident, { minLength: 1, maxLength: 4 }).map((p) => p.join("."));
const str = fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s));
const literal = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => String(Math.abs(d))),
  str,
  fc.constantFrom("true", "false", "null"),
);
const unit = fc.constantFrom("millisecond", "seconds", "minute", "hours", "day", "weeks", "month", "years");
const timeRef = fc.oneof(
  fc.constantFrom("now", "today", "yesterday", "tomorrow", "this week", "last month", "next year"),
  fc.constant("date(2024, 2, 29)"),
  path,
);
const compareOp = fc.constantFrom("=", "==", "!=", "<", "<=", ">", ">=");

const { expr } = fc.letrec<{ expr: string; value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    path,
    fc
      .tuple(tie("value"), fc.constantFrom("+", "-", "*", "/", "%"), tie("value"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc
      .tuple(
        path,
        fc.constantFrom(
          "count()",
          "sum()",
          "average()",
          "min()",
          "max()",
          "keys()",
          "values()",
          "getMonth()",
          "getYear()",
        ),
      )
      .map(([p, m]) => `${p}.${m}`),
    fc.tuple(path, str).map(([p, k]) => `${p}.get(${k})`),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    fc.tuple(tie("expr"), tie("value"), tie("value")).map(([c, a, b]) => `if(${c}, ${a}, ${b})`),
    fc.tuple(path, tie("expr")).map(([p, c]) => `${p}[${c}]`),
    fc.tuple(ident, path, tie("expr")).map(([v, p, c]) => `(select ${v} from ${p} where ${c})`),
    fc.constant("@{https://ns.example.com/s}.a"),
  ),
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("value"),
    fc.tuple(tie("value"), compareOp, tie("value")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(tie("expr"), fc.constantFrom("and", "or", "AND", "&&", "||"), tie("expr"))
      .map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie("expr").map((e) => `not (${e})`),
    fc
      .tuple(tie("value"), fc.constantFrom("in", "notIn"), tie("value"))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(
        path,
        fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s.replace(/[\\"]/g, "") + "%")),
      )
      .map(([p, s]) => `${p} like ${s}`),
    fc
      .tuple(
        path,
        fc.constantFrom("contains", "startsWith", "endsWith", "equals", "doesNotContain"),
        str,
        fc.boolean(),
      )
      .map(([p, m, s, cs]) => `${p}.${m}(${s}, ${cs})`),
    fc
      .tuple(path, fc.constantFrom('"^a.*b$"', '"(?i)x+"', '"(a+)+$"', '"[0-9]{2,4}"'))
      .map(([p, re]) => `${p}.matches(${re})`),
    fc
      .tuple(path, fc.constantFrom("includes", "intersects", "subsetOf", "supersetOf"), tie("value"))
      .map(([p, m, v]) => `${p}.${m}(${v})`),
    fc
      .tuple(fc.constantFrom("exists", "forall"), ident, path, tie("expr"))
      .map(([q, v, p, c]) => `${q} ${v} from ${p} where ${c}`),
    fc
      .tuple(path, compareOp, fc.nat(40), unit, fc.constantFrom("before", "after"), timeRef)
      .map(([p, op, n, u, d, r]) => `${p} occurs ${op} ${n} ${u} ${d} ${r}`),
    fc
      .tuple(path, fc.constantFrom("before", "after", "on", "between date(2024, 1, 1) and", ""), timeRef)
      .map(([p, f, r]) => `${p} occurs ${f} ${r}`),
    fc.tuple(ident, tie("value"), tie("expr")).map(([v, a, b]) => `let ${v} = ${a} in ${b}`),
    fc.tuple(str).map(([s]) => `inSegment(${s})`),
  ),
}));

const TRICKY = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  '"',
  "'",
  "`",
  "$1",
  "^",
  "=>",
  "@{",
  ".",
  ",",
  ":",
  "!",
  "=",
  "<",
  ">",
  "&&",
  "||",
  "%",
  "-",
  "occurs",
  "select",
  "from",
  "where",
  "let",
  "in",
  "exists",
  "1e999",
  "\\",
  "\n",
  "\u0000",
];

const mutated = fc
  .tuple(
    expr,
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...TRICKY)), { minLength: 1, maxLength: 4 }),
  )
  .map(([e, edits]) => {
    let s = e;
    for (const [at, del, ins] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + ins + s.slice(i + (del % 3));
    }
    return s;
  });
const soup = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY), ident, literal, fc.constantFrom(" ", "and", "or", "not")), {
    maxLength: 30,
  })
  .map((parts) => parts.join(" "));

const data = fc.record(
  {
    person: fc.record(
      { age: fc.integer(), name: fc.string(), interests: fc.array(fc.string(), { maxLength: 5 }) },
      { requiredKeys: [] },
    ),
    a: fc.jsonValue({ maxDepth: 3 }),
    b: fc.jsonValue({ maxDepth: 3 }),
    interests: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 6 }),
    xEvent: fc.array(
      fc.record({
        timestamp: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        a: fc.integer(),
        b: fc.string(),
      }),
      { maxLength: 30 },
    ),
  },
  { requiredKeys: [] },
);

function compileOrCodedError(text: string): CompiledPql | undefined {
  try {
    return compilePql(text, { stepBudget: STEP_BUDGET });
  } catch (err) {
    expect(DecisioningError.is(err), `untyped error for ${JSON.stringify(text)}: ${String(err)}`).toBe(true);
    expect((err as DecisioningError).code).toMatch(/^ODE_ERR_PQL_(SYNTAX|UNSUPPORTED|LIMIT)$/);
    expect((err as DecisioningError).message).toMatch(/at line \d+, column \d+$/);
    return undefined;
  }
}

function evaluateBounded(rule: CompiledPql, profile: Record<string, unknown>): void {
  try {
    const result = rule.evaluate({
      profile,
      events: profile["xEvent"],
      context: [],
      now: Date.parse("2024-06-15T12:00:00Z"),
    });
    expect(typeof result).toBe("boolean");
  } catch (err) {
    expect(DecisioningError.is(err) && err.code, `evaluation of ${rule.source}: ${String(err)}`).toBe(
      "ODE_ERR_PQL_LIMIT",
    );
  }
}

describe("PQL fuzzing", () => {
  it("compiles generated grammar expressions and evaluates them within the budget", () => {
    let compiled = 0;
    fc.assert(
      fc.property(expr, data, (text, profile) => {
        const rule = compileOrCodedError(text);
        if (rule) {
          compiled++;
          evaluateBounded(rule, profile as Record<string, unknown>);
        }
      }),
      { numRuns: 3000 },
    );
    // The generator stays inside the grammar: the vast majority must compile.
    expect(compiled).toBeGreaterThan(2500);
  });

  it("answers mutated expressions with a rule or a coded, positioned error", () => {
    fc.assert(
      fc.property(mutated, data, (text, profile) => {
        const rule = compileOrCodedError(text);
        if (rule) evaluateBounded(rule, profile as Record<string, unknown>);
      }),
      { numRuns: 3000 },
    );
  });

  it("answers random token soup and arbitrary strings the same way", () => {
    fc.assert(
      fc.property(
        fc.oneof(soup, fc.string({ maxLength: 60 }), fc.string({ unit: "grapheme", maxLength: 40 })),
        (text) => void compileOrCodedError(text),
      ),
      { numRuns: 3000 },
    );
  });

  it("rejects pathological nesting and sizes with a limit error", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 31, max: 5000 }),
        fc.constantFrom("(", "not ", "!", "[", "a.b("),
        (depth, open) => {
          const close = open === "(" ? ")" : open === "[" ? "]" : open === "a.b(" ? ")" : "";
          const text = `${open.repeat(depth)}1${close.repeat(depth)}`;
          expect(() => compilePql(text)).toThrow(DecisioningError);
        },
      ),
      { numRuns: 200 },
    );
  });
});
