import { describe, expect, it } from "vitest";
import { numberOption, POSITIVE } from "../../src/primitives/options";

describe("numberOption", () => {
  it("keeps a finite number in range and falls back otherwise", () => {
    expect(numberOption(5, 1, { min: 0 })).toBe(5);
    expect(numberOption(undefined, 1, { min: 0 })).toBe(1);
    for (const bad of [-1, Number.NaN, Infinity, "5", null, {}]) expect(numberOption(bad, 1, { min: 0 })).toBe(1);
    expect(numberOption(0, 7, POSITIVE)).toBe(7);
    expect(numberOption(0.001, 7, POSITIVE)).toBe(0.001);
    expect(numberOption(3, undefined, POSITIVE)).toBe(3);
    expect(numberOption(-3, undefined, POSITIVE)).toBeUndefined();
  });

  it("rounds down integers, and clamps to max only when asked", () => {
    expect(numberOption(2.9, 1, { min: 1, integer: true })).toBe(2);
    expect(numberOption(50, 2, { min: 0, max: 10 })).toBe(2);
    expect(numberOption(50.5, 2, { min: 0, max: 10, clampMax: true, integer: true })).toBe(10);
  });

  it("reports the invalid value to onInvalid", () => {
    const seen: unknown[] = [];
    expect(numberOption("x", 4, {}, (v) => seen.push(v))).toBe(4);
    expect(numberOption(3, 4, {}, (v) => seen.push(v))).toBe(3);
    expect(seen).toEqual(["x"]);
  });
});
