import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/primitives/lru";

describe("LruCache", () => {
  it("returns stored values and undefined for misses", () => {
    const cache = new LruCache<string, number>(3);
    cache.set("a", 1);
    expect(cache.get("a")).toBe(1);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("evicts the least recently inserted entry when full", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBe(2);
    expect(cache.get("c")).toBe(3);
  });

  it("counts a hit as a use, so the entry survives the next eviction", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1);
    expect(cache.get("b")).toBeUndefined();
  });

  it("overwrites an existing key without evicting and refreshes it", () => {
    const cache = new LruCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    expect(cache.size).toBe(2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(10);
    expect(cache.get("b")).toBeUndefined();
  });

  it("promotes a hit entry from the older half, so it outlives the entries inserted before it", () => {
    const cache = new LruCache<number, number>(10);
    for (let i = 0; i < 10; i++) cache.set(i, i);
    expect(cache.get(0)).toBe(0);
    for (let i = 10; i < 19; i++) cache.set(i, i);
    expect(cache.get(0)).toBe(0);
    for (let i = 1; i <= 9; i++) expect(cache.get(i)).toBeUndefined();
  });

  it("keeps every entry hit within the last max/2 inserts", () => {
    const max = 64;
    const cache = new LruCache<number, number>(max);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const lastUse = new Map<number, number>();
    let inserts = 0;
    const missing: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      const key = Math.floor(random() * 200);
      if (cache.get(key) === undefined) {
        cache.set(key, key);
        inserts++;
      }
      lastUse.set(key, inserts);
      for (const [k, at] of lastUse) if (inserts - at < max / 2 && cache.get(k) !== k) missing.push(k);
    }
    expect(missing).toEqual([]);
    expect(inserts).toBeGreaterThan(5_000);
    expect(cache.size).toBe(max);
  });

  it("stays bounded under many distinct keys", () => {
    const cache = new LruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) cache.set(i, i);
    expect(cache.size).toBe(100);
    expect(cache.get(9_999)).toBe(9_999);
    expect(cache.get(9_899)).toBeUndefined();
  });

  it("keeps at least one entry whatever the size given", () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      const cache = new LruCache<string, number>(size);
      cache.set("a", 1);
      cache.set("b", 2);
      expect(cache.size).toBe(1);
      expect(cache.get("b")).toBe(2);
    }
  });
});
