import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestAdmin, V1, V2, V3, type TestAdmin } from "./support";

let t: TestAdmin;
beforeEach(async () => {
  t = await createTestAdmin();
});
afterEach(async () => t.close());

const expectErrorResponse = (res: { status: number; body: any }, status: number, errorCode?: string) => {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ httpStatus: status, requestId: expect.any(String), requestTime: expect.any(String) });
  expect(Number.isFinite(Date.parse(res.body.requestTime))).toBe(true);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const e of res.body.errors) expect(e).toMatchObject({ errorCode: expect.any(String), message: expect.any(String) });
  if (errorCode) expect(res.body.errors.map((e: any) => e.errorCode)).toContain(errorCode);
};

async function seed(tenant = "acme") {
  const a1 = await t.call("POST", `/${tenant}/target/audiences`, { name: "sale pages", targetRule: { page: "url", contains: ["sale"] } });
  const a2 = await t.call("POST", `/${tenant}/target/audiences`, { name: "chrome", targetRule: { browser: "type", equals: ["chrome"] } });
  const o1 = await t.call("POST", `/${tenant}/target/offers/content`, { name: "A", content: "<p>A</p>" }, { "content-type": V2 });
  const o2 = await t.call("POST", `/${tenant}/target/offers/json`, { name: "B", content: { b: 1 } }, { "content-type": V2 });
  return { a1: a1.body.id, a2: a2.body.id, o1: o1.body.id, o2: o2.body.id };
}

function abBody(ids: { a1: number; o1: number; o2: number }, extra: Record<string, unknown> = {}) {
  return {
    name: "hero test",
    state: "approved",
    priority: 10,
    locations: { mboxes: [{ locationLocalId: 0, name: "home", audienceIds: [ids.a1] }] },
    options: [
      { optionLocalId: 1, offerId: ids.o1 },
      { optionLocalId: 2, offerId: ids.o2 },
    ],
    experiences: [
      { experienceLocalId: 0, name: "A", visitorPercentage: 50, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
      { experienceLocalId: 1, name: "B", visitorPercentage: 50, optionLocations: [{ locationLocalId: 0, optionLocalId: 2 }] },
    ],
    ...extra,
  };
}

describe("tenants", () => {
  it("a tenant is created on first use with the production environment and default response tokens", async () => {
    const envs = await t.call("GET", "/fresh/target/environments");
    expect(envs.status).toBe(200);
    expect(envs.body).toMatchObject({ total: 1, offset: 0, environments: [{ name: "production" }] });
    const tokens = await t.call("GET", "/fresh/target/responsetokens");
    expect(tokens.body.responseTokens.map((r: any) => r.name)).toContain("activity.id");
  });

  it("tenants are isolated", async () => {
    await seed("one");
    const other = await t.call("GET", "/two/target/audiences");
    expect(other.body.total).toBe(0);
    expect((await t.call("GET", "/one/target/audiences")).body.total).toBe(2);
  });

  it("needs a bearer token (401 ErrorResponse)", async () => {
    const res = await t.call("GET", "/acme/target/activities", undefined, { authorization: "Bearer wrong" });
    expectErrorResponse(res, 401, "Authorization.Required");
  });
});

describe("versioning", () => {
  it("POST with a v3 body but no version → 406 with Target's body", async () => {
    const ids = await seed();
    const res = await t.call("POST", "/acme/target/activities/ab", abBody(ids), { "content-type": "application/json" });
    expect(res.status).toBe(406);
    expect(res.body.errors).toEqual([{ errorCode: "Unsupported.Feature", message: "Unsupported features detected" }]);
    expect(res.body).toMatchObject({ httpStatus: 406, requestId: expect.any(String), requestTime: expect.any(String) });
    expect((await t.call("GET", "/acme/target/activities")).body.total).toBe(0);
  });

  it("GET of an options-based activity with Accept v1 (or none) → 406; with v3 → 200", async () => {
    const ids = await seed();
    const created = await t.call("POST", "/acme/target/activities/ab", abBody(ids));
    expect(created.status).toBe(201);
    expect((await t.call("GET", `/acme/target/activities/ab/${created.body.id}`, undefined, { accept: V1 })).status).toBe(406);
    expect((await t.call("GET", `/acme/target/activities/ab/${created.body.id}`)).status).toBe(406);
    const ok = await t.call("GET", `/acme/target/activities/ab/${created.body.id}`, undefined, { accept: V3 });
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toContain(V3);
  });

  it("v1 offerLocations bodies are accepted and normalised; they read back in both shapes", async () => {
    const ids = await seed();
    const legacy = {
      name: "legacy",
      locations: { mboxes: [{ locationLocalId: 0, name: "home" }] },
      experiences: [
        { experienceLocalId: 0, name: "A", visitorPercentage: 60, offerLocations: [{ locationLocalId: 0, offerId: ids.o1 }] },
        { experienceLocalId: 1, name: "B", visitorPercentage: 40, offerLocations: [{ locationLocalId: 0, offerId: ids.o2 }] },
      ],
    };
    const created = await t.call("POST", "/acme/target/activities/ab", legacy, { "content-type": V1 });
    expect(created.status).toBe(201);
    expect(created.body.experiences[0].offerLocations).toEqual([{ locationLocalId: 0, offerId: ids.o1 }]);
    const v3 = await t.call("GET", `/acme/target/activities/ab/${created.body.id}`, undefined, { accept: V3 });
    expect(v3.body.options).toEqual([
      { optionLocalId: 1, offerId: ids.o1 },
      { optionLocalId: 2, offerId: ids.o2 },
    ]);
    expect((await t.call("GET", `/acme/target/activities/ab/${created.body.id}`)).status).toBe(200);
    expect((await t.call("POST", "/acme/target/activities/ab", legacy, { "content-type": V3 })).status).toBe(406);
  });

  it("JSON offers need v2; an unknown version is 406", async () => {
    expect((await t.call("POST", "/acme/target/offers/json", { name: "x", content: { a: 1 } }, { "content-type": V1 })).status).toBe(406);
    expect((await t.call("GET", "/acme/target/activities", undefined, { accept: "application/vnd.adobe.target.v9+json" })).status).toBe(406);
    expect((await t.call("POST", "/acme/target/offers/content", { name: "x", content: "<b/>" }, { "content-type": "application/json" })).status).toBe(201);
  });
});

describe("activities", () => {
  it("creates (201), reads, replaces, updates attributes, lists and deletes", async () => {
    const ids = await seed();
    const created = await t.call("POST", "/acme/target/activities/ab", abBody(ids, { thirdPartyId: "hero-1" }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ id, name: "hero test", state: "approved", priority: 10, thirdPartyId: "hero-1" });
    const replaced = await t.call("PUT", `/acme/target/activities/ab/${id}`, abBody(ids, { name: "renamed", priority: 3 }));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, name: "renamed", priority: 3 });
    expect((await t.call("PUT", `/acme/target/activities/${id}/state`, { state: "deactivated" }, { "content-type": V1 })).body).toMatchObject({ id, state: "deactivated" });
    expect((await t.call("PUT", `/acme/target/activities/ab/${id}/priority`, { priority: 999 }, { "content-type": V1 })).body).toMatchObject({ id, priority: 999 });
    expect((await t.call("PUT", `/acme/target/activities/ab/${id}/name`, { name: "n2" }, { "content-type": V1 })).body).toMatchObject({ id, name: "n2" });
    const schedule = await t.call("PUT", `/acme/target/activities/${id}/schedule`, { startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-02-01T00:00:00Z" }, { "content-type": V1 });
    expect(schedule.body).toMatchObject({ id, startsAt: "2030-01-01T00:00:00.000Z", endsAt: "2030-02-01T00:00:00.000Z" });
    const list = await t.call("GET", "/acme/target/activities");
    expect(list.body).toEqual({ total: 1, offset: 0, limit: 2147483647, activities: [expect.objectContaining({ id, type: "ab", state: "deactivated", priority: 999, name: "n2" })] });
    const log = await t.call("GET", `/acme/target/activities/${id}/changelog`);
    expect(log.body.activityChangelogs.map((e: any) => e.action)).toEqual(["created", "updated", "state", "priority", "name", "schedule"]);
    const deleted = await t.call("DELETE", `/acme/target/activities/ab/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id, options: expect.any(Array) });
    expectErrorResponse(await t.call("GET", `/acme/target/activities/ab/${id}`, undefined, { accept: V3 }), 404, "Resource.NotFound");
    expectErrorResponse(await t.call("GET", `/acme/target/activities/xt/${id}`, undefined, { accept: V3 }), 404);
  });

  it("list: sortBy, filters, limit/offset", async () => {
    const ids = await seed();
    for (const [name, priority] of [["c", 1], ["a", 3], ["b", 2]] as const) {
      await t.call("POST", "/acme/target/activities/ab", abBody(ids, { name, priority }));
    }
    const names = async (q: string) => (await t.call("GET", `/acme/target/activities${q}`)).body.activities.map((a: any) => a.name);
    expect(await names("?sortBy=name")).toEqual(["a", "b", "c"]);
    expect(await names("?sortBy=-priority")).toEqual(["a", "b", "c"]);
    expect(await names("?sortBy=priority&limit=2&offset=1")).toEqual(["b", "a"]);
    expect(await names("?priority=!3&sortBy=name")).toEqual(["b", "c"]);
    expect(await names("?id=1&id=3&sortBy=id")).toEqual(["c", "b"]);
    const page = await t.call("GET", "/acme/target/activities?limit=1&offset=1");
    expect(page.body).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.body.activities).toHaveLength(1);
    expectErrorResponse(await t.call("GET", "/acme/target/activities?sortBy=colour"), 400);
    expectErrorResponse(await t.call("GET", "/acme/target/activities?limit=-1"), 400);
  });

  const invalid: [string, (ids: any) => unknown, number][] = [
    ["percentages ≠ 100", (ids) => abBody(ids, { experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 60, optionLocations: [] }, { experienceLocalId: 1, name: "B", visitorPercentage: 30, optionLocations: [] }] }), 400],
    ["non-integer percentage", (ids) => abBody(ids, { experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 50.5, optionLocations: [] }, { experienceLocalId: 1, name: "B", visitorPercentage: 49.5, optionLocations: [] }] }), 400],
    ["unknown offer id", (ids) => abBody(ids, { options: [{ optionLocalId: 1, offerId: 9999 }, { optionLocalId: 2, offerId: ids.o2 }] }), 400],
    ["unknown audience id", (ids) => abBody(ids, { locations: { mboxes: [{ locationLocalId: 0, name: "home", audienceIds: [4242] }] } }), 400],
    ["priority outside 0-999", (ids) => abBody(ids, { priority: 1000 }), 400],
    ["unknown state", (ids) => abBody(ids, { state: "paused" }), 400],
    ["endsAt before startsAt", (ids) => abBody(ids, { startsAt: "2030-01-02T00:00:00Z", endsAt: "2030-01-01T00:00:00Z" }), 400],
    ["duplicate experienceLocalId", (ids) => abBody(ids, { experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 50, optionLocations: [] }, { experienceLocalId: 0, name: "B", visitorPercentage: 50, optionLocations: [] }] }), 400],
    ["optionLocation to an unknown option", (ids) => abBody(ids, { experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 100, optionLocations: [{ locationLocalId: 0, optionLocalId: 7 }] }] }), 400],
    ["optionLocation to an unknown location", (ids) => abBody(ids, { experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 100, optionLocations: [{ locationLocalId: 5, optionLocalId: 1 }] }] }), 400],
    ["empty name", (ids) => abBody(ids, { name: "" }), 400],
    ["__proto__ key", () => '{"name":"x","__proto__":{"polluted":true},"locations":{"mboxes":[]}}', 400],
    ["nested constructor.prototype", () => '{"name":"x","extra":{"constructor":{"prototype":{"polluted":true}}}}', 400],
    ["not JSON", () => "{nope", 400],
  ];
  for (const [name, body, status] of invalid) {
    it(`rejects ${name} with a ${status} ErrorResponse and writes nothing`, async () => {
      const ids = await seed();
      const res = await t.call("POST", "/acme/target/activities/ab", body(ids));
      expectErrorResponse(res, status);
      expect((await t.call("GET", "/acme/target/activities")).body.total).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it("thirdPartyId must be unique (409)", async () => {
    const ids = await seed();
    expect((await t.call("POST", "/acme/target/activities/ab", abBody(ids, { thirdPartyId: "x" }))).status).toBe(201);
    expectErrorResponse(await t.call("POST", "/acme/target/activities/ab", abBody(ids, { thirdPartyId: "x" })), 409);
    expect((await t.call("GET", "/acme/target/activities")).body.total).toBe(1);
  });

  it("XT: experience order kept, no percentages needed", async () => {
    const ids = await seed();
    const xt = {
      name: "xt",
      state: "approved",
      locations: { mboxes: [{ locationLocalId: 0, name: "home" }] },
      options: [{ optionLocalId: 1, offerId: ids.o1 }],
      experiences: [
        { experienceLocalId: 5, name: "chrome", audienceIds: [ids.a2], optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
        { experienceLocalId: 2, name: "all", optionLocations: [] },
      ],
    };
    const res = await t.call("POST", "/acme/target/activities/xt", xt);
    expect(res.status).toBe(201);
    expect(res.body.experiences.map((e: any) => e.experienceLocalId)).toEqual([5, 2]);
  });
});

describe("audiences", () => {
  it("targetRule and audienceRule; invalid rules, unknown references and cycles → 400", async () => {
    const ids = await seed();
    const composite = await t.call("POST", "/acme/target/audiences", { name: "both", audienceRule: { restRuleOperator: "AND", rules: [{ audienceId: ids.a1 }, { audienceId: ids.a2 }] } });
    expect(composite.status).toBe(201);
    expectErrorResponse(await t.call("POST", "/acme/target/audiences", { name: "bad", targetRule: { page: "url", resembles: ["x"] } }), 400, "Audience.Rule.Invalid");
    expectErrorResponse(await t.call("POST", "/acme/target/audiences", { name: "bad", targetRule: { weather: "x", equals: ["y"] } }), 400, "Audience.Rule.Invalid");
    expectErrorResponse(await t.call("POST", "/acme/target/audiences", { name: "both kinds", targetRule: { page: "url", equals: ["x"] }, audienceRule: { restRuleOperator: "OR", rules: [{ audienceId: ids.a1 }] } }), 400);
    expectErrorResponse(await t.call("POST", "/acme/target/audiences", { name: "dangling", audienceRule: { restRuleOperator: "OR", rules: [{ audienceId: 999 }] } }), 400, "Audience.Reference.Invalid");
    // a1 → composite would make a cycle: composite references a1.
    const cyc = await t.call("PUT", `/acme/target/audiences/${ids.a1}`, { name: "loop", audienceRule: { restRuleOperator: "OR", rules: [{ audienceId: composite.body.id }] } });
    expectErrorResponse(cyc, 400, "Audience.Reference.Cycle");
    const self = await t.call("PATCH", `/acme/target/audiences/${composite.body.id}`, { audienceRule: { restRuleOperator: "NOT", rules: [{ audienceId: composite.body.id }] } });
    expectErrorResponse(self, 400, "Audience.Reference.Cycle");
    expect((await t.call("GET", `/acme/target/audiences/${ids.a1}`)).body.targetRule).toEqual({ page: "url", contains: ["sale"] });
    const patched = await t.call("PATCH", `/acme/target/audiences/${ids.a2}`, { name: "renamed" });
    expect(patched.body).toMatchObject({ name: "renamed", targetRule: { browser: "type", equals: ["chrome"] } });
    expectErrorResponse(await t.call("DELETE", `/acme/target/audiences/${ids.a1}`), 409);
    expect((await t.call("DELETE", `/acme/target/audiences/${composite.body.id}`)).status).toBe(200);
    expect((await t.call("DELETE", `/acme/target/audiences/${ids.a1}`)).status).toBe(200);
    expect((await t.call("GET", "/acme/target/audiences")).body.total).toBe(1);
  });
});

describe("audience PATCH with RFC 6902 operations", () => {
  it("applies the operations, validates the result, and rejects bad operations", async () => {
    const ids = await seed();
    const ok = await t.call("PATCH", `/acme/target/audiences/${ids.a1}`, [
      { op: "replace", path: "/name", value: "sale or promo" },
      { op: "replace", path: "/targetRule/contains", value: ["sale", "promo"] },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: ids.a1, name: "sale or promo", targetRule: { page: "url", contains: ["sale", "promo"] } });
    expectErrorResponse(await t.call("PATCH", `/acme/target/audiences/${ids.a1}`, [{ op: "replace", path: "/targetRule/contains", value: "not a list" }]), 400, "Audience.Rule.Invalid");
    expectErrorResponse(await t.call("PATCH", `/acme/target/audiences/${ids.a1}`, [{ op: "test", path: "/name", value: "other" }]), 400);
    expectErrorResponse(await t.call("PATCH", `/acme/target/audiences/${ids.a1}`, [{ op: "add", path: "/__proto__/x", value: 1 }]), 400);
    expect((await t.call("GET", `/acme/target/audiences/${ids.a1}`)).body.name).toBe("sale or promo");
  });
});

describe("offers, mboxes, environments, properties, response tokens", () => {
  it("offers CRUD and list", async () => {
    const ids = await seed();
    const list = await t.call("GET", "/acme/target/offers", undefined, { accept: V2 });
    expect(list.body.offers.map((o: any) => o.type)).toEqual(["content", "json"]);
    expect((await t.call("GET", `/acme/target/offers/json/${ids.o2}`, undefined, { accept: V2 })).body).toMatchObject({ id: ids.o2, content: { b: 1 } });
    expectErrorResponse(await t.call("GET", `/acme/target/offers/content/${ids.o2}`, undefined, { accept: V2 }), 404);
    const put = await t.call("PUT", `/acme/target/offers/content/${ids.o1}`, { name: "A2", content: "<p>A2</p>" }, { "content-type": V2 });
    expect(put.body).toMatchObject({ id: ids.o1, name: "A2", content: "<p>A2</p>" });
    expectErrorResponse(await t.call("POST", "/acme/target/offers/json", { name: "x", content: "[1" }, { "content-type": V2 }), 400);
    expect((await t.call("DELETE", `/acme/target/offers/json/${ids.o2}`, undefined, { accept: V2 })).status).toBe(200);
  });

  it("mboxes derive from activities; parameters from audiences", async () => {
    const ids = await seed();
    await t.call("POST", "/acme/target/audiences", { name: "p", targetRule: { mbox: "home", parameter: "plan", equals: ["gold"] } });
    await t.call("POST", "/acme/target/activities/ab", abBody(ids));
    expect((await t.call("GET", "/acme/target/mboxes")).body.mboxes.map((m: any) => m.name)).toEqual(["home"]);
    expect((await t.call("GET", "/acme/target/mbox/home")).body).toEqual({ name: "home", mboxParameters: [{ name: "plan" }] });
    expectErrorResponse(await t.call("GET", "/acme/target/mbox/none"), 404);
  });

  it("environments and properties", async () => {
    expect((await t.call("POST", "/acme/target/environments", { name: "staging" }, { "content-type": V1 })).status).toBe(201);
    expectErrorResponse(await t.call("POST", "/acme/target/environments", { name: "Staging" }, { "content-type": V1 }), 409);
    const prop = await t.call("POST", "/acme/target/properties", { name: "web" }, { "content-type": V1 });
    expect(prop.status).toBe(201);
    expect(prop.body.token).toMatch(/^[A-Za-z0-9-]+$/);
    const given = await t.call("POST", "/acme/target/properties", { name: "app", token: "app-token-1" }, { "content-type": V1 });
    expect(given.body).toMatchObject({ name: "app", token: "app-token-1" });
    expect((await t.call("GET", "/acme/target/properties")).body.total).toBe(2);
  });

  it("response tokens: 201 without id", async () => {
    const res = await t.call("POST", "/acme/target/responsetokens", { name: "profile.tier" }, { "content-type": V1 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: "profile.tier", status: "active" });
    expect(res.body.id).toBeUndefined();
    expectErrorResponse(await t.call("POST", "/acme/target/responsetokens", { name: "profile.tier" }, { "content-type": V1 }), 409);
  });

  it("unknown routes answer a 404 ErrorResponse", async () => {
    expectErrorResponse(await t.call("GET", "/acme/target/nope"), 404, "Resource.NotFound");
    expectErrorResponse(await t.call("DELETE", "/acme/target/audiences"), 404);
  });
});
