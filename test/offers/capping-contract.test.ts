/**
 * One contract for the capping-counter port, run against every adapter: in-memory always, Redis
 * when ODD_TEST_REDIS_URL is set (each run uses its own key prefix and removes its keys).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisCappingStore } from "../../src/offers/redis-capping";
import { createMemoryCappingStore } from "../../src/offers/core/capping/memory";
import type { CappingStore } from "../../src/offers/core/capping/port";
import { DecisioningError } from "../../src/errors";

const REDIS_URL = process.env.ODD_TEST_REDIS_URL;
const prefix = `odd-test:${randomUUID()}:`;

const adapters: [string, () => CappingStore][] = [["memory", () => createMemoryCappingStore()]];
if (REDIS_URL) adapters.push(["redis", () => createRedisCappingStore({ url: REDIS_URL, keyPrefix: prefix })]);

afterAll(async () => {
  if (!REDIS_URL) return;
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

const item = (offerId: string, globalCap?: number, profileCap?: number, times = 1) => ({
  offerId,
  globalCap,
  profileCap,
  times,
});

describe.each(adapters)("capping store contract: %s", (_name, create) => {
  it("reads zero for counters never incremented", async () => {
    const store = create();
    const counts = await store.read(`s-${randomUUID()}`, ["o1", "o2"], "Email:a");
    expect(counts.get("o1")).toEqual({ global: 0, profile: 0 });
    expect(counts.get("o2")).toEqual({ global: 0, profile: 0 });
    await store.close();
  });

  it("increments global and per-profile counters on a successful reservation", async () => {
    const store = create();
    const scope = `s-${randomUUID()}`;
    expect(await store.reserve(scope, [item("o1", 5, 2)], "Email:a")).toEqual({ ok: true });
    expect(await store.reserve(scope, [item("o1", 5, 2, 1)], "Email:b")).toEqual({ ok: true });
    const a = await store.read(scope, ["o1"], "Email:a");
    expect(a.get("o1")).toEqual({ global: 2, profile: 1 });
    await store.close();
  });

  it("refuses a reservation that would pass a cap, increments nothing, and returns the counters", async () => {
    const store = create();
    const scope = `s-${randomUUID()}`;
    expect(await store.reserve(scope, [item("o1", 1), item("o2", 10)], "Email:a")).toEqual({ ok: true });
    const refused = await store.reserve(scope, [item("o2", 10), item("o1", 1)], "Email:a");
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.counts.get("o1")).toEqual({ global: 1, profile: 1 });
      expect(refused.counts.get("o2")).toEqual({ global: 1, profile: 1 });
    }
    expect((await store.read(scope, ["o2"], "Email:a")).get("o2")).toEqual({ global: 1, profile: 1 });
    await store.close();
  });

  it("applies the per-profile cap per profile and counts several takes at once", async () => {
    const store = create();
    const scope = `s-${randomUUID()}`;
    expect((await store.reserve(scope, [item("o1", undefined, 2, 2)], "Email:a")).ok).toBe(true);
    expect((await store.reserve(scope, [item("o1", undefined, 2)], "Email:a")).ok).toBe(false);
    expect((await store.reserve(scope, [item("o1", undefined, 2)], "Email:b")).ok).toBe(true);
    expect((await store.reserve(scope, [item("o1", 3, undefined, 2)], "Email:c")).ok).toBe(false);
    await store.close();
  });

  it("keeps scopes apart", async () => {
    const store = create();
    const [s1, s2] = [`s-${randomUUID()}`, `s-${randomUUID()}`];
    expect((await store.reserve(s1, [item("o1", 1)], "Email:a")).ok).toBe(true);
    expect((await store.reserve(s2, [item("o1", 1)], "Email:a")).ok).toBe(true);
    await store.close();
  });

  it("grants exactly the cap under concurrent reservations", async () => {
    const stores = [create(), create()];
    const scope = `s-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => stores[i % 2]!.reserve(scope, [item("hot", 100)], `Email:${i}`)),
    );
    // Two memory stores do not share counters; two Redis clients do.
    const granted = results.filter((r) => r.ok).length;
    expect(granted).toBe(stores[0]!.kind === "memory" ? 200 : 100);
    await Promise.all(stores.map((s) => s.close()));
  });
});

describe("Redis capping store outage", () => {
  it("fails fast with a coded error when Redis is unreachable", async () => {
    const errors: Error[] = [];
    const store = createRedisCappingStore({ url: "redis://127.0.0.1:1", onError: (e) => errors.push(e) });
    const read = store.read("s", ["o"], "Email:a").catch((e: unknown) => e);
    const reserve = store.reserve("s", [item("o", 1)], "Email:a").catch((e: unknown) => e);
    for (const err of await Promise.all([read, reserve])) {
      expect(DecisioningError.is(err) && err.code).toBe("ODE_ERR_CAPPING_UNAVAILABLE");
    }
    await store.close();
  });
});
