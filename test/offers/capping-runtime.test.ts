/** Capping as the runtime uses it: shared counters across runtimes, and store outages. */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisCappingStore } from "../../src/offers/redis-capping";
import type { DecisioningError } from "../../src/errors";
import { CatalogBuilder, chosenIds, decisionBody } from "./support";
import { runtimeFor } from "./runtime-support";

const REDIS_URL = process.env.ODD_TEST_REDIS_URL;
const prefix = `odd-test:${randomUUID()}:`;

afterAll(async () => {
  if (!REDIS_URL) return;
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function cappedCatalog() {
  const b = new CatalogBuilder(`c-${randomUUID()}`);
  const p = b.placement();
  const capped = b.offer({ placements: [p], priority: 9, globalCap: 100 });
  const next = b.offer({ placements: [p], priority: 1 });
  const activity = b.activity({
    placement: p,
    filter: b.filter("offers", [capped, next]),
    fallback: b.fallback([p]),
  });
  return { b, p, capped, next, activity };
}

describe.runIf(REDIS_URL)("caps across runtimes sharing Redis", () => {
  it("1,000 concurrent decisions on two runtimes propose a globalCap-100 offer exactly 100 times", async () => {
    const c = cappedCatalog();
    const stores = [0, 1].map(() => createRedisCappingStore({ url: REDIS_URL!, keyPrefix: prefix }));
    const runtimes = stores.map((capping) => runtimeFor(c.b, { capping }));
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        runtimes[i % 2]!.decide(
          decisionBody([{ activity: c.activity, placement: c.p }], { identity: `Email:${i}` }),
        ),
      ),
    );
    const ids = answers.map((a) => chosenIds(a)[0]![0]);
    expect(ids.filter((id) => id === c.capped)).toHaveLength(100);
    expect(ids.filter((id) => id === c.next)).toHaveLength(900);
    await Promise.all(stores.map((s) => s.close()));
  });
});

describe("capping store outage", () => {
  function down() {
    const errors: DecisioningError[] = [];
    const capping = createRedisCappingStore({ url: "redis://127.0.0.1:1", commandTimeoutMs: 100 });
    return { capping, errors, onCappingError: (e: DecisioningError) => errors.push(e) };
  }

  it("fails closed by default: capped offers are left out, the decision still succeeds", async () => {
    const c = cappedCatalog();
    const d = down();
    const { decide } = runtimeFor(c.b, { capping: d.capping, onCappingError: d.onCappingError });
    const r = await decide(decisionBody([{ activity: c.activity, placement: c.p }]));
    expect(chosenIds(r)).toEqual([[c.next]]);
    expect(d.errors.map((e) => e.code)).toEqual(["ODE_ERR_CAPPING_UNAVAILABLE"]);
    await d.capping.close();
  });

  it("fails open when configured: capped offers are proposed without being counted", async () => {
    const c = cappedCatalog();
    const d = down();
    const { decide } = runtimeFor(c.b, {
      capping: d.capping,
      onCappingError: d.onCappingError,
      cappingFailure: "open",
    });
    const r = await decide(decisionBody([{ activity: c.activity, placement: c.p }]));
    expect(chosenIds(r)).toEqual([[c.capped]]);
    expect(d.errors).toHaveLength(1);
    await d.capping.close();
  });

  it("does not touch the store for decisions without capped candidates", async () => {
    const b = new CatalogBuilder();
    const p = b.placement();
    const o = b.offer({ placements: [p] });
    const a = b.activity({ placement: p, filter: b.filter("offers", [o]), fallback: b.fallback([p]) });
    const d = down();
    const r = await runtimeFor(b, { capping: d.capping, onCappingError: d.onCappingError }).decide(
      decisionBody([{ activity: a, placement: p }]),
    );
    expect(chosenIds(r)).toEqual([[o]]);
    expect(d.errors).toHaveLength(0);
    await d.capping.close();
  });
});
