/**
 * End to end over real HTTP: the service (`startService`, as `odd serve` runs it) with a SQLite
 * store; one Batch API call authors audiences, offers, an A/B and an XT activity with
 * dependencies; then our TargetClient polling the service's CDN path and the reference SDK given
 * the same artifact decide 2,000 random visitors identically, the A/B split matches the authored
 * percentages, a change reaches the polling client within 3 s, and a deactivated activity
 * disappears. Bad input gets the documented bodies and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TargetClient, type GetOffersOptions } from "../../src/index";
import { resolveServerConfig } from "../../src/server/config";
import { startService, type Service } from "../../src/server/index";
import { createSqliteTestStore, type TestStore } from "../../src/storage/testing";
import { createLogger } from "../../src/server/logging";
import type { Artifact } from "../../src/artifact/schema";
import { createReferenceClient, normalizeForComparison } from "../support/reference";
import { randomRequestsFor } from "../testing/requests";
import { SAMPLE_ARTIFACT } from "../server/support";

const TOKEN = "e2e-secret-token";
const V2 = "application/vnd.adobe.target.v2+json";
const V3 = "application/vnd.adobe.target.v3+json";
const CLIENT = "e2etenant";
const ORG = "E2E@AdobeOrg";

let service: Service;
let testStore: TestStore;
let ours: TargetClient;
const ids: Record<string, number> = {};

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${service.url}/${CLIENT}/target${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Real HTTP for the artifact; notifications (POST to Adobe's edge) are answered locally. */
const cdnOrStub = (url: string, init?: RequestInit) => (init?.method === "POST" ? Promise.resolve(new Response("{}", { status: 200 })) : fetch(url, init));
const cdnUrl = () => `${service.url}/${CLIENT}/production/v1/rules.json`;
const v3 = [{ name: "Content-Type", value: V3 }];
const v2 = [{ name: "Content-Type", value: V2 }];

function authoringBatch() {
  const audience = (operationId: number, name: string, targetRule: unknown) => ({ operationId, method: "POST", relativeUrl: "/target/audiences", body: { name, targetRule } });
  return {
    operations: [
      audience(0, "sale pages", { page: "url", contains: ["sale"] }),
      audience(1, "firefox", { browser: "type", equals: ["firefox"] }),
      audience(2, "north america", { geo: "country", equals: ["US", "CA"] }),
      { operationId: 3, method: "POST", relativeUrl: "/target/audiences", dependsOnOperationIds: [1, 2], body: { name: "ff or na", audienceRule: { restRuleOperator: "OR", rules: [{ audienceId: "{operationIdResponse:1}" }, { audienceId: "{operationIdResponse:2}" }] } } },
      audience(4, "gold plan", { mbox: "*", parameter: "plan", equalsIgnoreCase: ["gold"] }),
      { operationId: 5, method: "POST", relativeUrl: "/target/offers/content", body: { name: "hero A", content: "<b>A</b>" } },
      { operationId: 6, method: "POST", relativeUrl: "/target/offers/json", headers: v2, body: { name: "hero B", content: { variant: "B" } } },
      { operationId: 7, method: "POST", relativeUrl: "/target/offers/json", headers: v2, body: { name: "promo ff/na", content: { promo: "ff-or-na" } } },
      { operationId: 8, method: "POST", relativeUrl: "/target/offers/content", body: { name: "promo default", content: "<i>default</i>" } },
      { operationId: 9, method: "POST", relativeUrl: "/target/offers/json", headers: v2, body: { name: "promo gold", content: { promo: "gold" } } },
      {
        operationId: 10,
        method: "POST",
        relativeUrl: "/target/activities/ab",
        dependsOnOperationIds: [0, 5, 6],
        headers: v3,
        body: {
          name: "hero split",
          thirdPartyId: "hero-split",
          state: "approved",
          priority: 10,
          locations: { mboxes: [{ locationLocalId: 0, name: "hero", audienceIds: ["{operationIdResponse:0}"] }] },
          options: [
            { optionLocalId: 1, offerId: "{operationIdResponse:5}" },
            { optionLocalId: 2, offerId: "{operationIdResponse:6}" },
          ],
          experiences: [
            { experienceLocalId: 0, name: "A", visitorPercentage: 30, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] },
            { experienceLocalId: 1, name: "B", visitorPercentage: 70, optionLocations: [{ locationLocalId: 0, optionLocalId: 2 }] },
          ],
          metrics: [{ metricLocalId: 1, name: "clicks", mboxes: [{ name: "hero", successEvent: "mbox_clicked" }] }],
        },
      },
      {
        operationId: 11,
        method: "POST",
        relativeUrl: "/target/activities/xt",
        dependsOnOperationIds: [3, 4, 7, 8, 9],
        headers: v3,
        body: {
          name: "promo targeting",
          state: "approved",
          priority: 20,
          locations: { mboxes: [{ locationLocalId: 3, name: "promo" }] },
          options: [
            { optionLocalId: 1, offerId: "{operationIdResponse:9}" },
            { optionLocalId: 2, offerId: "{operationIdResponse:7}" },
            { optionLocalId: 3, offerId: "{operationIdResponse:8}" },
          ],
          experiences: [
            { experienceLocalId: 0, name: "gold", audienceIds: ["{operationIdResponse:4}"], optionLocations: [{ locationLocalId: 3, optionLocalId: 1 }] },
            { experienceLocalId: 1, name: "ff or na", audienceIds: ["{operationIdResponse:3}"], optionLocations: [{ locationLocalId: 3, optionLocalId: 2 }] },
            { experienceLocalId: 2, name: "everyone", optionLocations: [{ locationLocalId: 3, optionLocalId: 3 }] },
          ],
        },
      },
    ],
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const heroContent = async (client: TargetClient, tntId: string) => {
  const result = await client.getOffers({ request: { id: { tntId }, context: { channel: "web", address: { url: "https://shop.example.com/sale" } }, execute: { mboxes: [{ name: "hero", index: 1 }] } } } as GetOffersOptions);
  return (result.response as any).execute?.mboxes?.[0]?.options?.[0]?.content;
};

beforeAll(async () => {
  testStore = createSqliteTestStore();
  const config = resolveServerConfig({ port: "0", client: CLIENT, org: ORG, "log-level": "silent" }, {}, { sampleArtifact: SAMPLE_ARTIFACT });
  service = await startService(config, { logger: createLogger("silent"), admin: { store: testStore.url, apiToken: TOKEN } });
});

afterAll(async () => {
  await ours?.close();
  await service?.close();
  await testStore?.dispose();
});

describe("authoring through one batch, publishing, and deciding alike", () => {
  it("one batch with dependencies creates everything (results in operation order, all 201)", async () => {
    const res = await api("POST", "/batch", authoringBatch());
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => [r.operationId, r.skipped, r.statusCode])).toEqual(Array.from({ length: 12 }, (_, i) => [i, false, 201]));
    ids.ab = JSON.parse(res.body.results[10].body).id;
    ids.xt = JSON.parse(res.body.results[11].body).id;
    ids.heroOfferA = JSON.parse(res.body.results[5].body).id;
  });

  it("the service's CDN path serves the artifact; the service decides its own Delivery requests from it", async () => {
    const artifact = await waitFor("the published artifact", async () => {
      const res = await fetch(cdnUrl());
      if (res.status !== 200) return undefined;
      const json = (await res.json()) as Artifact;
      return json.rules.mboxes?.promo ? json : undefined;
    });
    expect(artifact.localMboxes).toEqual(["hero", "promo"]);
    expect(artifact.geoTargetingEnabled).toBe(true);
    expect(artifact.rules.mboxes!.promo![0]!.meta["location.id"]).toBe(3);
    const delivery = await waitFor("the service deciding from its published artifact", async () => {
      const res = await fetch(`${service.url}/rest/v1/delivery?client=${CLIENT}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: { tntId: "v1" }, context: { channel: "web" }, execute: { mboxes: [{ name: "promo", index: 1 }] } }),
      });
      const body = (await res.json()) as any;
      // Until the first publish reaches it, the service still serves the bundled sample.
      return body.execute?.mboxes?.[0]?.options?.[0]?.content === "<i>default</i>" ? body : undefined;
    });
    expect(delivery.execute.mboxes[0].options[0].content).toBe("<i>default</i>");
  });

  it("our TargetClient polling the CDN path and the reference SDK given the same artifact decide 2,000 random visitors identically", async () => {
    ours = TargetClient.create({ client: CLIENT, organizationId: ORG, decisioningMethod: "on-device", artifactLocation: cdnUrl(), pollingInterval: 1000, targetLocationHint: "28", telemetryEnabled: false, fetchApi: cdnOrStub as never });
    await ours.ready({ timeout: 10_000 });
    const res = await fetch(cdnUrl());
    const artifact = (await res.json()) as Artifact;
    expect(ours.status().artifact?.etag).toBe(res.headers.get("etag"));
    const reference = await createReferenceClient(artifact, CLIENT, ORG);
    let matched = 0;
    try {
      const visitors = randomRequestsFor(artifact, 13, 2000);
      for (const [i, input] of visitors.entries()) {
        vi.useFakeTimers({ toFake: ["Date"] });
        vi.setSystemTime(Date.UTC(2026, 2, 1) + i * 3_600_000 * 3 + i * 61_000);
        try {
          const expected = await reference.getOffers(structuredClone(input));
          const actual = await ours.getOffers(structuredClone(input) as GetOffersOptions);
          expect(normalizeForComparison(actual.response), `visitor ${i}`).toEqual(normalizeForComparison(expected.response));
          if (JSON.stringify(actual.response).includes('"options":[{')) matched++;
        } finally {
          vi.useRealTimers();
        }
      }
    } finally {
      reference.stop();
    }
    expect(matched).toBeGreaterThan(400);
  }, 180_000);

  it("the observed A/B split is within ±3 % of the authored 30/70", async () => {
    let a = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const content = await heroContent(ours, `split-visitor-${i}`);
      if (content === "<b>A</b>") a++;
      else expect(content).toEqual({ variant: "B" });
    }
    expect(Math.abs((a / n) * 100 - 30)).toBeLessThanOrEqual(3);
  }, 60_000);

  it("an activity change reaches a client polling every second within 3 s", async () => {
    let visitor: string | undefined;
    for (let i = 0; visitor === undefined && i < 200; i++) if ((await heroContent(ours, `change-visitor-${i}`)) === "<b>A</b>") visitor = `change-visitor-${i}`;
    expect(visitor).toBeDefined();
    const changed = await api("PUT", `/offers/content/${ids.heroOfferA}`, { name: "hero A", content: "<b>A2</b>" }, { "content-type": V2 });
    expect(changed.status).toBe(200);
    const started = Date.now();
    await waitFor("the change at the polling client", async () => ((await heroContent(ours, visitor!)) === "<b>A2</b>" ? true : undefined), 10_000);
    expect(Date.now() - started).toBeLessThanOrEqual(3000);
  });

  it("a deactivated activity disappears from the artifact and from decisions", async () => {
    const res = await api("PUT", `/activities/ab/${ids.ab}/state`, { state: "deactivated" });
    expect(res.status).toBe(200);
    const artifact = await waitFor("the artifact without the A/B activity", async () => {
      const json = (await (await fetch(cdnUrl())).json()) as Artifact;
      return json.rules.mboxes?.hero ? undefined : json;
    });
    expect(artifact.localMboxes).toEqual(["promo"]);
    await waitFor("the client to drop it", async () => ((await heroContent(ours, "gone")) === undefined ? true : undefined), 10_000);
  });
});

describe("bad input over HTTP: documented bodies, nothing written", () => {
  const state = async () => {
    const [activities, audiences, offers] = await Promise.all([api("GET", "/activities"), api("GET", "/audiences"), api("GET", "/offers", undefined, { accept: V2 })]);
    const etag = (await fetch(cdnUrl())).headers.get("etag");
    return JSON.stringify([activities.body, audiences.body, offers.body, etag]);
  };
  const abWith = (extra: Record<string, unknown>) => ({
    name: "bad",
    locations: { mboxes: [{ locationLocalId: 0, name: "x" }] },
    options: [{ optionLocalId: 1, offerId: ids.heroOfferA }],
    experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 100, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] }],
    ...extra,
  });
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string?][] = [
    ["an invalid targetRule", () => api("POST", "/audiences", { name: "x", targetRule: { page: "url", resembles: ["y"] } }), 400, "Audience.Rule.Invalid"],
    ["an unknown audience id", () => api("POST", "/activities/ab", abWith({ locations: { mboxes: [{ locationLocalId: 0, name: "x", audienceIds: [987654] }] } }), { "content-type": V3 }), 400, "Reference.Invalid"],
    ["an unknown offer id", () => api("POST", "/activities/ab", abWith({ options: [{ optionLocalId: 1, offerId: 987654 }] }), { "content-type": V3 }), 400, "Reference.Invalid"],
    ["percentages ≠ 100", () => api("POST", "/activities/ab", abWith({ experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 99, optionLocations: [] }] }), { "content-type": V3 }), 400, "Validation.Failed"],
    ["257 operations", () => api("POST", "/batch", { operations: Array.from({ length: 257 }, (_, i) => ({ operationId: i % 256, method: "POST", relativeUrl: "/target/offers/content", body: { name: "x", content: "y" } })) }), 400, "Batch.Request.Invalid"],
    ["a dependency cycle", () => api("POST", "/batch", { operations: [0, 1].map((i) => ({ operationId: i, method: "POST", relativeUrl: "/target/offers/content", dependsOnOperationIds: [1 - i], body: { name: "x", content: "y" } })) }), 400, "Batch.Dependency.Cycle"],
    ["a version mismatch", () => api("POST", "/activities/ab", abWith({}), { "content-type": "application/vnd.adobe.target.v1+json" }), 406, "Unsupported.Feature"],
    ["a body with __proto__", () => api("POST", "/offers/content", '{"name":"x","content":"y","__proto__":{"admin":true}}'), 400],
  ];
  for (const [name, call, status, errorCode] of cases) {
    it(`${name} → ${status} ErrorResponse`, async () => {
      const before = await state();
      const res = await call();
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ httpStatus: status, requestId: expect.any(String), requestTime: expect.any(String), errors: expect.any(Array) });
      if (errorCode) expect(res.body.errors.map((e: any) => e.errorCode)).toContain(errorCode);
      if (status === 406) expect(res.body.errors).toEqual([{ errorCode: "Unsupported.Feature", message: "Unsupported features detected" }]);
      await service.admin.publisher.idle();
      expect(await state()).toBe(before);
    });
  }
});
