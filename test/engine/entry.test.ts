import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compile, decide } from "../../src/engine/index";
import { TargetClient } from "../../src/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { loadArtifact, readJson, suiteFiles } from "../support/shared";

/**
 * The engine entry (`on-device-decisioning/engine`) decides as getOffers does: on every conformance
 * case (the suite's expected response and notifications) and, side by side with a TargetClient, on
 * random requests over the production artifact. Ids the two sides generate independently (a missing
 * tntId or requestId, notification ids) and traces (whose artifact block differs) are masked.
 */

const PLACEHOLDERS: Record<string, unknown> = {
  "expect.any(Object)": expect.any(Object),
  "expect.any(String)": expect.any(String),
  "expect.any(Number)": expect.any(Number),
};

function hydrate(value: unknown): unknown {
  if (typeof value === "string" && value in PLACEHOLDERS) return PLACEHOLDERS[value];
  if (Array.isArray(value)) return value.map(hydrate);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hydrate(v)]));
  }
  return value;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("engine entry on the conformance suites", () => {
  for (const file of suiteFiles()) {
    const suite = readJson(file);
    for (const [name, test] of Object.entries<any>(suite.test)) {
      it(`${path.basename(file, ".json")} ${name}`, () => {
        const conf = test.conf ?? suite.conf ?? {};
        const artifactRef = test.artifact ?? suite.artifact;
        const artifact = typeof artifactRef === "string" ? loadArtifact(artifactRef) : artifactRef;
        const d = test.mockDate;
        const now = d
          ? Date.UTC(d.year, d.month, d.date, d.hours, d.minutes ?? 0, d.seconds ?? 0)
          : Date.now();
        if (d) {
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(now);
        }
        const run = () =>
          decide(compile(artifact), test.input.request, {
            client: conf.client,
            now,
            targetLocationHint: "28",
            propertyToken: conf.propertyToken,
            sessionId: test.input.sessionId,
          });
        if (conf.client === undefined || artifact?.version?.startsWith?.("2")) {
          expect(run).toThrow();
          return;
        }
        const result = run();
        expect(result.response).toMatchObject(hydrate(test.output ?? {}) as object);
        const expected = test.notificationOutput?.notifications;
        if (test.notificationOutput === null) expect(result.notifications).toHaveLength(0);
        else if (expected !== undefined)
          expect(result.notifications).toMatchObject(hydrate(expected) as object);
      });
    }
  }
});

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const URLS = [
  "https://www.adobe.com/products/target.html?foo=bar",
  "http://local-target-test:8080/",
  "https://wayne-enterprises.us-east-1.elasticbeanstalk.com/bat/cave?foo=bar",
  "http://pied.piper.decentralized.test.hooli.com/?implementation=psl",
  "https://shop.example.co.uk/cart?item=42#top",
];
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  undefined,
];
const PARAMETERS = [
  undefined,
  { foo: "bar" },
  { jason: "correct", greg: "correct" },
  { "first.programming.language": "Racket", "favorite.color": "Red" },
];
const GEOS = [
  undefined,
  { countryCode: "US", stateCode: "CA", city: "SAN FRANCISCO", latitude: 37.75, longitude: -122.4 },
];
const TOKENS = [undefined, "be92ac4c-e72f-9f82-2a80-2c211ea86578", "693de2cd-ac92-d2c7-59fc-a3c0f2bce646"];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function randomRequest(
  rnd: () => number,
  mboxNames: readonly string[],
  viewNames: readonly string[],
  i: number,
): any {
  const details = () => {
    const parameters = pick(rnd, PARAMETERS);
    return parameters ? { parameters: { ...parameters } } : {};
  };
  const mboxes = () =>
    Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, k) => ({
      name: rnd() < 0.1 ? `unknown-${k}` : pick(rnd, mboxNames),
      ...(rnd() < 0.5 ? { index: k + 1 } : {}),
      ...details(),
    }));
  const request: any = {
    id: rnd() < 0.2 ? { marketingCloudVisitorId: `mcid-${i}` } : { tntId: `visitor-${i}.28_0` },
    requestId: `request-${i}`,
    context: {
      channel: "web",
      address: { url: pick(rnd, URLS) },
      userAgent: pick(rnd, USER_AGENTS),
      geo: pick(rnd, GEOS),
    },
  };
  const token = pick(rnd, TOKENS);
  if (token) request.property = { token };
  const shape = rnd();
  if (shape < 0.5 || shape >= 0.85)
    request.execute = rnd() < 0.2 ? { pageLoad: details() } : { mboxes: mboxes() };
  if (shape >= 0.5) {
    const r = rnd();
    request.prefetch =
      r < 0.3
        ? { views: [{ ...details() }] }
        : r < 0.5
          ? { views: [{ name: pick(rnd, viewNames) }] }
          : { mboxes: mboxes() };
  }
  return request;
}

/** The parts both sides must agree on: generated notification ids and timestamps masked. */
function comparableNotifications(list: readonly any[]): any[] {
  return list.map(({ id: _id, impressionId: _impression, timestamp: _timestamp, ...rest }) => rest);
}

describe("engine entry against getOffers on random requests", () => {
  it("makes the same decisions and notifications on 300 random requests over the production artifact", async () => {
    const artifact = loadArtifact("PRODUCTION_ARTIFACT");
    const compiled = compile(structuredClone(artifact));
    const fetchApi = fakeFetch({ "POST https://": () => json({}), "POST http://": () => json({}) });
    const client = TargetClient.create({
      client: "targettesting",
      organizationId: "65453EA95A70434F0A495D34@AdobeOrg",
      decisioningMethod: "on-device",
      artifactPayload: structuredClone(artifact),
      pollingInterval: 0,
      targetLocationHint: "28",
      telemetryEnabled: false,
      fetchApi,
    });
    await client.ready({ timeout: 10_000 });
    const rnd = prng(16);
    const mboxNames = Object.keys(artifact.rules.mboxes);
    const viewNames = Object.keys(artifact.rules.views);
    let withNotifications = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const request = randomRequest(rnd, mboxNames, viewNames, i);
        const ours = decide(compiled, structuredClone(request), {
          client: "targettesting",
          targetLocationHint: "28",
        });
        const before = fetchApi.calls.length;
        const result = await client.getOffers({ request: structuredClone(request) });
        await client.flush();
        expect(ours.response, JSON.stringify(request)).toEqual(result.response);
        expect(ours.remoteMboxes).toEqual(result.meta.remoteMboxes);
        expect(ours.remoteViews).toEqual(result.meta.remoteViews);
        const sent = fetchApi.calls.slice(before).flatMap((c) => c.body?.notifications ?? []);
        expect(comparableNotifications(ours.notifications)).toEqual(comparableNotifications(sent));
        if (ours.notifications.length > 0) withNotifications++;
      }
    } finally {
      await client.close();
    }
    expect(withNotifications).toBeGreaterThan(50);
  });

  it("rejects bad input with a coded error and leaves the caller's request untouched", () => {
    const compiled = compile(loadArtifact("PRODUCTION_ARTIFACT"));
    const bad = (request: unknown) => () => decide(compiled, request as never, { client: "targettesting" });
    for (const request of [
      undefined,
      null,
      {},
      [],
      "x",
      { execute: { mboxes: [] } },
      { prefetch: { foo: 1 } },
    ]) {
      expect(bad(request)).toThrow(expect.objectContaining({ code: "ODE_ERR_INVALID_REQUEST" }));
    }
    expect(() => decide(compiled, { execute: { mboxes: [{ name: "perf-mbox" }] } }, {} as never)).toThrow(
      expect.objectContaining({ code: "ODE_ERR_INVALID_REQUEST" }),
    );
    const request = {
      context: { channel: "mobile" },
      execute: { mboxes: [{ name: "perf-mbox" }, { index: 3 }] },
    };
    const copy = structuredClone(request);
    const result = decide(compiled, request as never, { client: "targettesting", targetLocationHint: "28" });
    expect(request).toEqual(copy);
    expect(result.request.id?.tntId).toMatch(/^[0-9a-f]{32}\.28_0$/);
    expect(result.request.context?.channel).toBe("web");
    expect(result.response.execute?.mboxes).toHaveLength(1);
  });

  it("refuses an artifact of an unsupported major version", () => {
    expect(() => compile({ ...loadArtifact("PRODUCTION_ARTIFACT"), version: "2.0.0" })).toThrow(
      expect.objectContaining({ code: "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED" }),
    );
  });
});
