import jsonLogic from "json-logic-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DecisioningError } from "../../src/errors";
import { collectOperators, compileCondition, isTruthy } from "../../src/engine/conditions";
import { artifactNames, loadArtifact } from "../support/shared";

// ---------------------------------------------------------------- helpers

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

/** Deep equality with Object.is at the leaves (NaN equals NaN, 0 differs from -0). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => same((a as any)[k], (b as any)[k]));
}

type Outcome = { threw: true } | { threw: false; value: unknown };
function outcome(run: () => unknown): Outcome {
  try {
    return { threw: false, value: run() };
  } catch {
    return { threw: true };
  }
}
const sameOutcome = (x: Outcome, y: Outcome): boolean =>
  x.threw ? y.threw : !y.threw && same(x.value, y.value);
const show = (o: Outcome): string => (o.threw ? "<throws>" : String(JSON.stringify(o.value)));

function reference(logic: unknown, data: unknown): Outcome {
  return outcome(() => jsonLogic.apply(logic as any, data));
}

/** Compiles and evaluates; returns the mismatches against json-logic-js. */
function diff(logic: unknown, datas: readonly unknown[]): string[] {
  const fn = compileCondition(logic);
  const out: string[] = [];
  datas.forEach((data, i) => {
    const mine = outcome(() => fn(data as Record<string, unknown>));
    const ref = reference(logic, data);
    if (!sameOutcome(mine, ref)) out.push(`${JSON.stringify(logic)} data#${i}: got ${show(mine)}, want ${show(ref)}`);
  });
  return out;
}

beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => undefined); // json-logic-js `log` prints
});
afterAll(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------- artifact conditions

function artifactConditions(): { file: string; ruleKey: string; condition: unknown }[] {
  const out: { file: string; ruleKey: string; condition: unknown }[] = [];
  for (const file of artifactNames().sort()) {
    const artifact = loadArtifact(file);
    for (const group of [artifact.rules?.mboxes, artifact.rules?.views]) {
      for (const rules of Object.values(group ?? {}) as any[][]) {
        for (const r of rules) out.push({ file, ruleKey: r.ruleKey, condition: r.condition });
      }
    }
  }
  return out;
}

/** Every (var path → constants compared with it) pair, so that generated data can match rules. */
function harvest(conditions: readonly unknown[]): Map<string, unknown[]> {
  const found = new Map<string, unknown[]>();
  const add = (path: string, v: unknown) => found.set(path, [...(found.get(path) ?? []), v]);
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (typeof x !== "object" || x === null) return;
    const [op, values] = Object.entries(x)[0] ?? [];
    if (!Array.isArray(values)) return walk(values);
    const vars = values.filter((v) => typeof v?.var === "string").map((v) => v.var as string);
    const consts = values.filter((v) => typeof v !== "object" || v === null);
    for (const p of vars) for (const c of consts) add(p, op === "in" ? `x${String(c)}y` : c);
    values.forEach(walk);
  };
  conditions.forEach(walk);
  return found;
}

function setPath(obj: Record<string, any>, path: string, value: unknown): void {
  const segs = path.split(".");
  let o = obj;
  for (const s of segs.slice(0, -1)) o = o[s] = typeof o[s] === "object" && o[s] !== null ? o[s] : {};
  o[segs[segs.length - 1]!] = value;
}

function realisticData(rng: Rng, harvested: Map<string, unknown[]>): Record<string, unknown> {
  const host = pick(rng, ["www.example.com", "shop.hooli.com", "local-target-test", "a.b.co.uk"]);
  const path = pick(rng, ["", "/", "/sale", "/products/42", "/bar/baz"]);
  const url = `https://${host}${path}?${pick(rng, ["", "foo=bar", "q=1&x=2"])}`;
  const page = { url, url_lc: url.toLowerCase(), path, path_lc: path, domain: host, domain_lc: host, query: "" };
  const data: Record<string, unknown> = {
    current_timestamp: int(rng, 1_500_000_000_000, 1_700_000_000_000),
    current_time: String(int(rng, 0, 23)).padStart(2, "0") + String(int(rng, 0, 59)).padStart(2, "0"),
    current_day: int(rng, 1, 7),
    user: {
      browserType: pick(rng, ["chrome", "firefox", "safari", "mobile safari", "edge", "ie", "unknown"]),
      browserVersion: int(rng, -1, 120),
      platform: pick(rng, ["windows", "mac", "linux", "iOS", "Android", "unknown"]),
      locale: "en",
    },
    page,
    referring: page,
    geo: rng() < 0.3 ? {} : { country: pick(rng, ["US", "RO", "FR"]), city: "SAN FRANCISCO", latitude: 37.75 },
    mbox: rng() < 0.3 ? {} : { foo: "bar", foo_lc: "bar", greg: String(int(rng, 0, 3)) },
    allocation: Math.round(rng() * 10000) / 100,
  };
  for (const [p, values] of harvested) if (rng() < 0.5) setPath(data, p, pick(rng, values));
  if (rng() < 0.1) setPath(data, "page.url_lc", int(rng, 0, 5)); // non-string haystack for `in`
  return data;
}

describe("artifact conditions", () => {
  const rules = artifactConditions();
  const harvested = harvest(rules.map((r) => r.condition));

  it("finds the rules of every artifact", () => {
    expect(rules.length).toBeGreaterThan(250);
  });

  it("compiles every rule condition and evaluates it exactly like json-logic-js", () => {
    const rng = mulberry32(20240611);
    const datas = Array.from({ length: 300 }, () => realisticData(rng, harvested));
    const mismatches: string[] = [];
    let matched = 0, unmatched = 0;
    for (const { condition } of rules) {
      mismatches.push(...diff(condition, datas));
      const fn = compileCondition(condition);
      for (const d of datas) if (isTruthy(fn(d))) matched++; else unmatched++;
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    // The generated data must exercise both outcomes substantially.
    expect(matched).toBeGreaterThan(5000);
    expect(unmatched).toBeGreaterThan(5000);
  });

  it("uses only operators that compile", () => {
    const ops = new Set<string>();
    for (const { condition } of rules) for (const op of collectOperators(condition)) ops.add(op);
    expect([...ops].sort()).toEqual(["!", "<", "<=", "==", ">", ">=", "and", "in", "or", "var"]);
  });
});

// ---------------------------------------------------------------- random expressions

const ROOT_PATHS: unknown[] = [
  "a", "b", "c", "d", "f", "f.0", "f.2", "f.9", "g.h.i", "g.h", "g.x.y", "g.h.i.j", "s", "s.length", "s.0",
  "t", "t.x", "z", "z.x", "d.x", "nums", "strs", "objs", "objs.0.x", "objs.1", "nested.arr.0.v", "missing",
  "missing.deep.path", "", "numstr", "empty", "weird", "bad", 0, 1, 1.5, null, "constructor", "__proto__", "a.",
];
const ELEM_PATHS: unknown[] = ["", "x", "y", "0", "length", "current", "accumulator", "current.x", "nope", "v"];
const LITERALS: unknown[] = [
  0, 1, -1, 2, 3.5, -0, 10, 100, "", "0", "1", "10", "3.5", " 2 ", "abc", "a", "b", "hello", "1e3", "-5", "-1",
  "ell", true, false, null, [], [1, 2], ["a", "b"], [1, "1", null], [[]], { a: 1, b: 2 }, {}, "a.b",
  [1, "1", 2, "two", null, true, 0, "", 3.5, "abc", "hello"],
];
const OPS = [
  "==", "!=", "===", "!==", ">", ">=", "<", "<=", "!", "!!", "and", "or", "if", "?:", "in", "cat", "substr",
  "+", "-", "*", "/", "%", "min", "max", "merge", "log", "var", "missing", "missing_some",
  "map", "filter", "reduce", "all", "none", "some",
] as const;
const ARITY: Record<string, [number, number]> = {
  "!": [1, 1], "!!": [1, 1], log: [1, 1], "-": [1, 2], "/": [2, 2], "%": [2, 2], substr: [2, 3], in: [2, 2],
  "<": [2, 3], "<=": [2, 3], missing_some: [2, 2], var: [1, 2],
};
const SCOPED = new Set(["map", "filter", "reduce", "all", "none", "some"]);

function genVar(rng: Rng, depth: number, paths: unknown[]): unknown {
  const path = rng() < 0.1 && depth > 0 ? genExpr(rng, depth - 1, paths) : pick(rng, paths);
  const r = rng();
  if (r < 0.4) return { var: path };
  if (r < 0.6) return { var: [path] };
  return { var: [path, rng() < 0.7 ? pick(rng, LITERALS) : genExpr(rng, Math.max(depth - 1, 0), paths)] };
}

function genExpr(rng: Rng, depth: number, paths: unknown[], counts?: Map<string, number>): unknown {
  if (depth <= 0 || rng() < 0.2) return rng() < 0.5 ? genVar(rng, depth, paths) : pick(rng, LITERALS);
  const op = pick(rng, OPS);
  counts?.set(op, (counts.get(op) ?? 0) + 1);
  const sub = (p = paths) => genExpr(rng, depth - 1, p, counts);
  if (op === "var") return genVar(rng, depth, paths);
  let args: unknown[];
  if (SCOPED.has(op)) {
    const src = rng() < 0.5 ? { var: pick(rng, ["f", "nums", "strs", "objs", "s", "missing", "nested.arr"]) } : sub();
    const inner = rng() < 0.2 ? pick(rng, LITERALS) : sub(ELEM_PATHS);
    args = op === "reduce" && rng() < 0.7 ? [src, inner, sub()] : [src, inner];
  } else if (op === "missing" || op === "missing_some") {
    const keys = Array.from({ length: int(rng, 0, 3) }, () => (rng() < 0.8 ? pick(rng, ROOT_PATHS) : sub()));
    args = op === "missing" ? (rng() < 0.5 ? keys : [keys]) : [int(rng, 0, 3), rng() < 0.85 ? keys : sub()];
  } else {
    const [lo, hi] = rng() < 0.85 ? (ARITY[op] ?? [1, 4]) : [0, 4];
    args = Array.from({ length: int(rng, lo, hi) }, () => sub());
  }
  if (args.length === 1 && rng() < 0.3) return { [op]: args[0] }; // unary shorthand
  if (op === "missing_some" && rng() < 0.05) args.push(sub());
  return { [op]: args };
}

function randomData(rng: Rng): Record<string, unknown> {
  const v = () => pick(rng, [...LITERALS, { x: 1, y: "b" }, { h: { i: 5 } }, [{ x: 2 }, { x: "2" }], undefined, { var: "a" }]);
  const data: Record<string, unknown> = {};
  for (const k of ["a", "b", "c", "d", "f", "g", "s", "t", "z", "numstr", "empty", "nums", "strs", "objs"]) {
    if (rng() < 0.85) data[k] = v();
  }
  return data;
}

const FIXED_DATA: Record<string, unknown>[] = [
  {
    a: 1, b: "2", c: "abc", d: null, e: [], f: [1, 2, 3], g: { h: { i: 5 } }, s: "hello", t: true, z: 0,
    nums: [3, 1, 2], strs: ["a", "b", "ab"], objs: [{ x: 1 }, { x: 2, y: "b" }], nested: { arr: [{ v: 1 }] },
    numstr: "10", empty: "", weird: { indexOf: 1, length: 2 }, bad: { toString: 1, valueOf: 1 },
  },
  { a: "1", b: 2, c: ["abc", "b"], f: "1,2,3", g: { h: null }, s: "", t: false, z: "0", nums: [], strs: "ab" },
  {},
];

describe("random expressions (seeded) against json-logic-js", () => {
  it.each([1, 2, 3, 4])("agrees on 1500 random expressions, seed %i", (seed) => {
    const rng = mulberry32(seed * 7919);
    const counts = new Map<string, number>();
    const mismatches: string[] = [];
    let evaluations = 0, threw = 0;
    for (let n = 0; n < 1500; n++) {
      const logic = genExpr(rng, int(rng, 1, 4), ROOT_PATHS, counts);
      const datas = [...FIXED_DATA, randomData(rng), randomData(rng)];
      mismatches.push(...diff(logic, datas));
      for (const d of datas) {
        evaluations++;
        if (reference(logic, d).threw) threw++;
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    for (const op of OPS) if (op !== "var") expect(counts.get(op) ?? 0, op).toBeGreaterThan(40);
    expect(threw).toBeGreaterThan(0); // "both throw" is exercised ...
    expect(threw / evaluations).toBeLessThan(0.25); // ... but most expressions produce values
  });
});

// ---------------------------------------------------------------- explicit semantics

describe("semantics", () => {
  const data = FIXED_DATA[0]!;
  const cases: [logic: unknown, expected: unknown][] = [
    [{ var: "f.0" }, 1],
    [{ var: "s.length" }, 5],
    [{ var: ["g.h.i", 9] }, 5],
    [{ var: ["d", 9] }, null], // present but null: no default
    [{ var: ["d.x", 9] }, 9],
    [{ var: ["nope", 9] }, 9],
    [{ var: "nope" }, null],
    [{ var: 0 }, null],
    [{ "!!": [[]] }, false],
    [{ "!": [[]] }, true],
    [{ and: [] }, undefined],
    [{ and: [1, [], 2] }, []],
    [{ or: [0, "", "x", 2] }, "x"],
    [{ if: [false, 1, null, 2, 3] }, 3],
    [{ if: [false, 1] }, null],
    [{ "<": [1, 2, 3] }, true],
    [{ "<=": [1, 3, 2] }, false],
    [{ ">": [3, 2, 100] }, true], // third operand ignored
    [{ "<": [1, 2, { and: [{ var: "a" }, { and: [] }] }] }, true], // third operand undefined: 2 operands
    [{ "<=": [{ var: "a" }, 2, { or: [{ var: "z" }, { or: [] }] }] }, true],
    [{ "<": [1, { var: "a" }, 3] }, false],
    [{ "==": [5, "5"] }, true],
    [{ in: ["ell", { var: "s" }] }, true],
    [{ in: ["a", 5] }, false],
    [{ in: ["", { var: "empty" }] }, false],
    [{ in: [{ "/": [0, { var: "z" }] }, [NaN, 1, 2, 3, 4, 5, 6, 7, 8]] }, false], // indexOf never finds NaN
    [{ in: [{ "-": [{ var: "z" }] }, [0, 1, 2, 3, 4, 5, 6, 7, 8]] }, true],
    [{ in: [2, { var: "f" }] }, true],
    [{ "*": ["2"] }, "2"],
    [{ "*": [-1, 0, 5] }, 0],
    [{ "-": [null] }, -0],
    [{ "+": ["1.5", "x2", 1] }, NaN],
    [{ substr: ["hello", 1, "-1"] }, ""],
    [{ substr: ["hello", 1, -1] }, "ell"],
    [{ cat: ["a", null, [1, 2], true] }, "a1,2true"],
    [{ merge: [1, [2, 3], [[4]]] }, [1, 2, 3, [4]]],
    [{ missing: ["a", "nope", "empty"] }, ["nope", "empty"]],
    [{ missing_some: [2, ["a", "nope", "c"]] }, []],
    [{ reduce: [{ var: "nums" }, { "+": [{ var: "current" }, { var: "accumulator" }] }, 10] }, 16],
    [{ map: [{ var: "objs" }, { var: "x" }] }, [1, 2]],
    [{ all: [[], true] }, false],
    [{ none: [5, true] }, true],
    [{ log: "x" }, "x"],
  ];
  it.each(cases)("%j", (logic, expected) => {
    expect(compileCondition(logic)(data)).toStrictEqual(expected);
    expect(diff(logic, [data])).toEqual([]);
  });

  it("returns the whole data for an empty path and non-logic objects by reference", () => {
    const obj = { a: 1, b: 2 };
    expect(compileCondition({ var: "" })(data)).toBe(data);
    expect(compileCondition(obj)(data)).toBe(obj);
    expect(compileCondition(true)(data)).toBe(true);
  });

  it("propagates evaluation errors", () => {
    expect(() => compileCondition({ in: ["a", { var: "weird" }] })(data)).toThrow(TypeError);
    expect(() => compileCondition({ "*": [] })(data)).toThrow(TypeError);
  });

  it("isTruthy is plain JavaScript truthiness", () => {
    expect([[], {}, "0", 1].map(isTruthy)).toEqual([true, true, true, true]);
    expect([0, "", null, undefined, NaN, false].map(isTruthy)).toEqual([false, false, false, false, false, false]);
  });
});

// ---------------------------------------------------------------- compile errors and inspection

describe("compile errors", () => {
  const unknown = (logic: unknown): unknown => {
    try {
      compileCondition(logic);
    } catch (err) {
      return DecisioningError.is(err) ? [err.code, err.details?.operator] : err;
    }
    return "compiled";
  };
  it.each([
    [{ foo: [1] }, "foo"],
    [{ method: [{ var: "s" }, "toUpperCase"] }, "method"],
    [{ and: [true, { if: [false, { nope: 1 }, 2] }] }, "nope"],
    [{ "var.prototype.constructor": "a" }, "var.prototype.constructor"],
    [JSON.parse('{"__proto__": [1]}'), "__proto__"],
    [{ toString: [] }, "toString"],
    [{ map: [[], { hasOwnProperty: 1 }] }, "hasOwnProperty"],
    [{ map: [[], true, { nope: 1 }] }, "nope"], // never evaluated by the reference, still validated
  ])("rejects %j at compile time", (logic, operator) => {
    expect(unknown(logic)).toEqual(["ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR", operator]);
  });

  it("rejects absurdly deep nesting without overflowing the stack", () => {
    let logic: unknown = true;
    for (let i = 0; i < 100_000; i++) logic = { "!": [logic] };
    expect(() => compileCondition(logic)).toThrow(DecisioningError);
  });
});

describe("collectOperators", () => {
  it("lists every operator, nested, scoped and unknown ones included", () => {
    const logic = {
      and: [
        { "<=": [0, { var: "allocation" }, 50] },
        { map: [{ var: "xs" }, { "+": [{ var: "" }, 1] }] },
        [{ in: ["x", { var: { cat: ["a", "b"] } }] }],
        { some: { x: 1, y: 2 } },
        { zzz: 1 },
      ],
    };
    expect([...collectOperators(logic)].sort()).toEqual(["+", "<=", "and", "cat", "in", "map", "some", "var", "zzz"]);
    expect(collectOperators(true).size).toBe(0);
    const cyclic: unknown[] = [{ var: "x" }];
    cyclic.push(cyclic);
    expect([...collectOperators({ or: cyclic })]).toEqual(["or", "var"]);
    expect(collectOperators({ a: 1, b: { var: "x" } }).size).toBe(0);
  });
});

describe("fallback to json-logic-js", () => {
  it("delegates an operator registered with jsonLogic.add_operation, and still rejects unknown ones", async () => {
    const jsonLogic = (await import("json-logic-js")).default;
    const { compileCondition } = await import("../../src/engine/conditions");
    expect(() => compileCondition({ starts_with_x: [{ var: "s" }] })).toThrow(/Unsupported json-logic operator/);
    jsonLogic.add_operation("starts_with_x", (s: unknown) => typeof s === "string" && s.startsWith("x"));
    try {
      const cond = compileCondition({ and: [{ starts_with_x: [{ var: "s" }] }, { "==": [1, 1] }] });
      expect(cond({ s: "xyz" })).toBe(true);
      expect(cond({ s: "abc" })).toBe(false);
    } finally {
      jsonLogic.rm_operation("starts_with_x");
    }
    expect(() => compileCondition({ toString: [] })).toThrow(/Unsupported/);
  });
});
