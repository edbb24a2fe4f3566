import { afterEach, describe, expect, it } from "vitest";
import { buildMboxContext } from "../../src/engine/params";

describe("buildMboxContext", () => {
  it("un-flattens expandable keys, keeps the others and adds _lc for strings (reference order)", () => {
    const context = buildMboxContext({
      Foo: "BAR",
      "favorite.color": "Red",
      "a..b": "X",
      ".lead": "Y",
      "trail.": "Z",
      num: 7,
      flag: true,
    });
    expect(JSON.stringify(context)).toBe(
      JSON.stringify({
        Foo: "BAR",
        favorite: { color: "Red", color_lc: "red" },
        "a..b": "X",
        ".lead": "Y",
        "trail.": "Z",
        num: 7,
        flag: true,
        Foo_lc: "bar",
        "a..b_lc": "x",
        ".lead_lc": "y",
        "trail._lc": "z",
      }),
    );
  });

  it("merges keys sharing a prefix and adds _lc recursively", () => {
    expect(
      buildMboxContext({
        "first.programming.language": "TypeScript",
        "first.programming.year": 2012,
        "first.name": "Ada",
      }),
    ).toEqual({
      first: {
        programming: { language: "TypeScript", language_lc: "typescript", year: 2012 },
        name: "Ada",
        name_lc: "ada",
      },
    });
  });

  it("returns {} for missing or falsy parameters", () => {
    for (const value of [undefined, null, 0, "", false]) expect(buildMboxContext(value)).toEqual({});
  });

  it("reads truthy non-objects through Object.keys like the reference", () => {
    expect(buildMboxContext(5)).toEqual({});
    expect(buildMboxContext("Ab")).toEqual({ 0: "A", 1: "b", "0_lc": "a", "1_lc": "b" });
    expect(buildMboxContext(["X"])).toEqual({ 0: "X", "0_lc": "x" });
  });

  describe("conflicting keys", () => {
    it("lets a later plain key replace an expanded object", () => {
      expect(buildMboxContext({ "a.b": "y", a: "x" })).toEqual({ a: "x", a_lc: "x" });
    });

    it("replaces a falsy value by an object, as the reference does", () => {
      expect(buildMboxContext({ a: 0, "a.b": "Y" })).toEqual({ a: { b: "Y", b_lc: "y" } });
      expect(buildMboxContext({ a: null, "a.b": 1 })).toEqual({ a: { b: 1 } });
    });

    it("merges into an object value without touching the caller's object", () => {
      const parameters = { a: { c: "C" }, "a.b": "Y" };
      const snapshot = structuredClone(parameters);
      expect(buildMboxContext(parameters)).toEqual({ a: { c: "C", b: "Y", c_lc: "c", b_lc: "y" } });
      expect(parameters).toEqual(snapshot);
    });

    it("ignores a dotted key that runs into a primitive or an array (the reference throws a TypeError)", () => {
      expect(buildMboxContext({ a: "x", "a.b": "y" })).toEqual({ a: "x", a_lc: "x" });
      expect(buildMboxContext({ "a.b": "x", "a.b.c": "y" })).toEqual({ a: { b: "x", b_lc: "x" } });
      const list = ["q"];
      expect(buildMboxContext({ a: list, "a.b": "y" })).toEqual({ a: ["q"] });
      expect(list).toEqual(["q"]);
    });

    it("follows the reference when both k and k_lc are sent", () => {
      // The _lc write for "a" replaces the sent "a_lc" before that key is visited.
      expect(buildMboxContext({ a: "Y", a_lc: "X" })).toEqual({ a: "Y", a_lc: "y", a_lc_lc: "y" });
      expect(buildMboxContext({ a_lc: "X", a: "Y" })).toEqual({ a_lc: "y", a: "Y", a_lc_lc: "x" });
      expect(buildMboxContext({ a: "Y", a_lc: { n: 1 } })).toEqual({
        a: "Y",
        a_lc: { 0: "y", "0_lc": "y" },
        a_lc_lc: "y",
      });
    });
  });

  it("does not modify nested objects of the caller", () => {
    const parameters = { outer: { inner: { deep: "Deep" } } };
    const snapshot = structuredClone(parameters);
    const context = buildMboxContext(parameters);
    expect(context).toEqual({ outer: { inner: { deep: "Deep", deep_lc: "deep" } } });
    expect(parameters).toEqual(snapshot);
  });

  describe("prototype pollution", () => {
    afterEach(() => {
      for (const target of [Object.prototype, Array.prototype, Function.prototype] as Record<
        string,
        unknown
      >[]) {
        delete target.polluted;
        delete target.x;
      }
    });

    const hostile = (): Record<string, unknown> =>
      JSON.parse(
        '{"__proto__.polluted": "yes", "constructor.prototype.x": "yes", "prototype.x": "yes", "a.__proto__.polluted": "yes",' +
          ' "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"x": "yes"}}, "toString.x": "yes"}',
      );

    it("never changes a prototype", () => {
      const before = Object.getOwnPropertyNames(Object.prototype).sort();
      const context = buildMboxContext(hostile());
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).x).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
      expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(context.a)).toBe(Object.prototype);
    });

    it("keeps such keys as own properties that conditions can read", () => {
      const context = buildMboxContext(hostile()) as Record<string, any>;
      const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
      expect(own(context, "__proto__")).toBe(true);
      expect(context["__proto__"]).toEqual({ polluted: "yes", polluted_lc: "yes" });
      expect(context.constructor).toEqual({ prototype: { x: "yes", x_lc: "yes" } });
      expect(context.prototype).toEqual({ x: "yes", x_lc: "yes" });
      expect(own(context.a, "__proto__")).toBe(true);
      expect(context.a["__proto__"]).toEqual({ polluted: "yes", polluted_lc: "yes" });
      expect(context.toString).toEqual({ x: "yes", x_lc: "yes" });
    });
  });

  describe("bounds", () => {
    it("reads at most 1,000 parameters", () => {
      const parameters: Record<string, number> = {};
      for (let i = 0; i < 1500; i++) parameters[`p${i}`] = i;
      const context = buildMboxContext(parameters);
      expect(Object.keys(context)).toHaveLength(1000);
      expect(context.p999).toBe(999);
      expect(context.p1000).toBeUndefined();
    });

    it("ignores dotted keys with more than 32 segments", () => {
      const ok = Array.from({ length: 32 }, (_, i) => `k${i}`).join(".");
      const tooDeep = Array.from({ length: 33 }, (_, i) => `d${i}`).join(".");
      const context = buildMboxContext({ [ok]: 1, [tooDeep]: 2 });
      expect(Object.keys(context)).toEqual(["k0"]);
    });

    it("stops adding _lc keys beyond nesting depth 32 and shares deeper objects", () => {
      // inputs[i] sits at depth i + 2 of the mbox object (the mbox object itself is depth 1).
      const inputs: Record<string, unknown>[] = [];
      let nested: Record<string, unknown> = { s: "S" };
      for (let i = 0; i < 40; i++) nested = { n: nested, s: "S" };
      for (let node: any = nested; node; node = node.n) inputs.push(node);
      const context = buildMboxContext({ root: nested });
      const copies: unknown[] = [];
      for (let node: any = context.root; node; node = node.n) copies.push(node);
      const firstShared = copies.findIndex((node, i) => node === inputs[i]);
      expect(firstShared).toBe(31);
      expect((copies[30] as Record<string, unknown>).s_lc).toBe("s");
      expect((copies[31] as Record<string, unknown>).s_lc).toBeUndefined();
      expect(inputs.every((node) => !("s_lc" in node))).toBe(true);
    });

    it("bounds the total work of the _lc pass", () => {
      const wide: Record<string, string> = {};
      for (let i = 0; i < 20_000; i++) wide[`k${i}`] = "V";
      const context = buildMboxContext({ wide }) as { wide: Record<string, string> };
      expect(context.wide.k0_lc).toBe("v");
      expect(context.wide.k19999_lc).toBeUndefined();
      expect(context.wide.k19999).toBe("V");
    });
  });
});
