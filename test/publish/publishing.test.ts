import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeRulesBin } from "../../src/artifact/rules-bin";
import { validateArtifact } from "../../src/artifact/parse";
import { createMemoryAdminStore } from "../../src/admin/memory-store";
import type { AdminStore } from "../../src/admin/store";
import { createTestAdmin, V1, V2, type TestAdmin } from "../admin/support";

let t: TestAdmin;
beforeEach(async () => {
  t = await createTestAdmin({ debounceMs: 20 });
});
afterEach(async () => t.close());

async function author(tenant = "acme", extra: Record<string, unknown> = {}) {
  const offer = await t.call("POST", `/${tenant}/target/offers/json`, { name: "hero", content: { hero: 1 } }, { "content-type": V2 });
  const activity = await t.call("POST", `/${tenant}/target/activities/xt`, {
    name: "everyone",
    state: "approved",
    locations: { mboxes: [{ locationLocalId: 7, name: "hero" }] },
    options: [{ optionLocalId: 1, offerId: offer.body.id }],
    experiences: [{ experienceLocalId: 0, name: "all", optionLocations: [{ locationLocalId: 7, optionLocalId: 1 }] }],
    ...extra,
  });
  expect(activity.status).toBe(201);
  return activity.body.id as number;
}

const fetchRaw = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: "GET", url, headers });

describe("publishing", () => {
  it("publishes after a change (debounced) at the CDN path and the bundle endpoint, with ETag and 304", async () => {
    await author();
    await t.admin.publisher.idle();
    const cdn = await fetchRaw("/acme/production/v1/rules.json");
    expect(cdn.statusCode).toBe(200);
    const artifact = validateArtifact(JSON.parse(cdn.body)) as any;
    expect(artifact.meta).toMatchObject({ clientCode: "acme", environment: "production" });
    expect(artifact.rules.mboxes.hero[0].meta["location.id"]).toBe(7);
    const etag = cdn.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await fetchRaw("/acme/production/v1/rules.json", { "if-none-match": etag })).statusCode).toBe(304);
    const bundle = await t.call("GET", "/acme/target/ondevicedecisioning/bundle?client=acme&environment=production");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.etag).toBe(etag);
    expect(bundle.body).toEqual(JSON.parse(cdn.body));
    expect((await t.call("GET", "/acme/target/ondevicedecisioning/bundle?client=acme", undefined, { "if-none-match": etag })).status).toBe(304);
  });

  it("the bundle endpoint needs the token; the CDN paths do not", async () => {
    await author();
    await t.admin.publisher.idle();
    expect((await fetchRaw("/acme/target/ondevicedecisioning/bundle?client=acme")).statusCode).toBe(401);
    expect((await fetchRaw("/acme/production/v1/rules.json")).statusCode).toBe(200);
  });

  it("an unchanged artifact keeps its ETag; a change gives a new one; a deactivated activity disappears", async () => {
    const id = await author();
    await t.admin.publisher.idle();
    const first = await fetchRaw("/acme/production/v1/rules.json");
    const report = await t.admin.publisher.publish("acme");
    expect(report.artifacts.every((a) => !a.changed)).toBe(true);
    await t.call("POST", "/acme/target/responsetokens", { name: "profile.unused" }, { "content-type": V1 });
    await t.admin.publisher.idle();
    const second = await fetchRaw("/acme/production/v1/rules.json");
    expect(second.headers.etag).not.toBe(first.headers.etag);
    // Writing the same thing again changes nothing in the artifact.
    await t.call("PUT", `/acme/target/activities/${id}/priority`, { priority: 5 }, { "content-type": V1 });
    await t.admin.publisher.idle();
    const third = await fetchRaw("/acme/production/v1/rules.json");
    expect(third.headers.etag).toBe(second.headers.etag);
    expect(third.body).toBe(second.body);
    await t.call("PUT", `/acme/target/activities/${id}/state`, { state: "deactivated" }, { "content-type": V1 });
    await t.admin.publisher.idle();
    const after = JSON.parse((await fetchRaw("/acme/production/v1/rules.json")).body);
    expect(after.rules.mboxes).toEqual({});
    expect(after.localMboxes).toEqual([]);
  });

  it("one artifact per environment and property token, rules.bin siblings decode to the JSON", async () => {
    await t.call("POST", "/acme/target/environments", { name: "staging" }, { "content-type": V1 });
    const property = await t.call("POST", "/acme/target/properties", { name: "web", token: "web-token" }, { "content-type": V1 });
    await author("acme", { propertyIds: [property.body.id] });
    await t.admin.publisher.idle();
    for (const path of ["/acme/production/v1/rules.json", "/acme/staging/v1/rules.json", "/acme/production/v1/web-token/rules.json", "/acme/STAGING/v1/web-token/rules.json"]) {
      const res = await fetchRaw(path);
      expect(res.statusCode, path).toBe(200);
      const json = JSON.parse(res.body);
      const bin = await fetchRaw(path.replace("rules.json", "rules.bin"));
      expect(bin.statusCode).toBe(200);
      expect(bin.headers["content-type"]).toBe("application/octet-stream");
      expect(decodeRulesBin(new Uint8Array(bin.rawPayload), "ACME@AdobeOrg")).toEqual(json);
      expect(bin.headers.etag).not.toBe(res.headers.etag);
      expect((await fetchRaw(path.replace("rules.json", "rules.bin"), { "if-none-match": bin.headers.etag as string })).statusCode).toBe(304);
    }
    expect(JSON.parse((await fetchRaw("/acme/staging/v1/rules.json")).body).meta.environment).toBe("staging");
    expect(JSON.parse((await fetchRaw("/acme/production/v1/web-token/rules.json")).body).rules.mboxes.hero[0].propertyTokens).toEqual(["web-token"]);
    expect((await t.call("GET", "/acme/target/ondevicedecisioning/bundle?environment=staging&property-token=web-token")).status).toBe(200);
  });

  it("unknown tenant, environment or token → 404 (and no tenant is created)", async () => {
    await author();
    await t.admin.publisher.idle();
    expect((await fetchRaw("/nobody/production/v1/rules.json")).statusCode).toBe(404);
    expect((await fetchRaw("/acme/qa/v1/rules.json")).statusCode).toBe(404);
    expect((await fetchRaw("/acme/production/v1/no-token/rules.json")).statusCode).toBe(404);
    expect((await fetchRaw("/acme/production/v1/rules.txt")).statusCode).toBe(404);
    expect(await t.admin.service.store.tenants()).toEqual(["acme"]);
    expect((await t.call("GET", "/acme/target/ondevicedecisioning/bundle?environment=qa")).status).toBe(404);
  });

  it("publishes on demand", async () => {
    await author();
    const res = await t.call("POST", "/acme/target/ondevicedecisioning/publish", {}, { "content-type": "application/json" });
    expect(res.status).toBe(200);
    expect(res.body.artifacts).toEqual([expect.objectContaining({ environment: "production", propertyToken: "", hash: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
  });

  it("a burst of changes publishes once shortly after, within a second of the first change", async () => {
    const reports: number[] = [];
    t.admin.publisher.onPublished(() => reports.push(Date.now()));
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.call("POST", "/acme/target/offers/content", { name: `o${i}`, content: "x" }, { "content-type": V2 })));
    await t.admin.publisher.idle();
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(3);
    expect(reports[0]! - started).toBeLessThan(1000);
  });

  it("a failed publish is logged (ODE_ERR_PUBLISH_FAILED) and the previous artifact stays served", async () => {
    const inner = createMemoryAdminStore();
    let failArtifacts = false;
    const store: AdminStore = {
      ...inner,
      transaction: (tenant, work) =>
        inner.transaction(tenant, (tx) =>
          work({
            ...tx,
            put: async (kind, id, doc) => {
              if (failArtifacts && kind === "artifact") throw new Error("disk full");
              return tx.put(kind, id, doc);
            },
          }),
        ),
    };
    const errors: unknown[] = [];
    const failing = await createTestAdmin({ store, logger: { info() {}, error: (o) => errors.push(o) } });
    try {
      await failing.call("POST", "/acme/target/offers/content", { name: "o", content: "x" }, { "content-type": V2 });
      await failing.admin.publisher.idle();
      const before = await failing.app.inject({ method: "GET", url: "/acme/production/v1/rules.json" });
      failArtifacts = true;
      await failing.call("POST", "/acme/target/responsetokens", { name: "profile.new" }, { "content-type": V1 });
      await failing.admin.publisher.idle();
      expect(errors).toHaveLength(1);
      expect((errors[0] as any).err.code).toBe("ODE_ERR_PUBLISH_FAILED");
      const after = await failing.app.inject({ method: "GET", url: "/acme/production/v1/rules.json" });
      expect(after.statusCode).toBe(200);
      expect(after.headers.etag).toBe(before.headers.etag);
    } finally {
      await failing.close();
    }
  });
});
