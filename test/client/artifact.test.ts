/**
 * Issue 3 at client level: an artifact location that is down at start and up later, readiness and
 * `clientReady`, decisions before ready, maximumArtifactAge (driven by a ManualScheduler),
 * meta.artifact on every result, and fetchApi carrying every HTTP call.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions, type GetOffersResult } from "../../src/index";
import { ManualScheduler } from "../support/manual-scheduler";
import { closedPort, json, startStub, waitFor, type StubServer } from "../remote/stub-server";
import {
  CLIENT,
  ORG,
  deliveryAnswer,
  hybridArtifact,
  isPing,
  listenOn,
  memoryLogger,
  nonPing,
  recordingFetch,
  rejectionOf,
  toOrigin,
  trackUnhandledRejections,
} from "./support";

trackUnhandledRejections();

let delivery: StubServer | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await delivery?.close();
  delivery = undefined;
});

function create(options: Partial<ClientOptions>): TargetClient {
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    serverDomain: delivery!.hostPort,
    secure: false,
    logger: memoryLogger().logger,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

const mixed = { execute: { mboxes: [{ name: "local-one", index: 1 }, { name: "remote-one", index: 2 }] } };
const localOnly = { execute: { mboxes: [{ name: "local-one", index: 1 }] } };

function serveArtifact(body: string, etag: string, counter = { requests: 0 }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    counter.requests++;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", etag });
    res.end(body);
  };
}

describe("artifact location down at start, up later", () => {
  it("becomes ready and decides on-device; clientReady fires once; before ready on-device rejects and hybrid goes server-side", async () => {
    delivery = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const port = await closedPort();
    const counts = { clientReady: 0, failed: 0, succeeded: 0 };
    const client = create({
      decisioningMethod: "on-device",
      artifactLocation: `http://127.0.0.1:${port}/acme/rules.json`,
      pollingInterval: 1000,
      events: {
        clientReady: () => counts.clientReady++,
        artifactDownloadFailed: () => counts.failed++,
        artifactDownloadSucceeded: () => counts.succeeded++,
      },
    });
    await waitFor(() => counts.failed >= 1, 3000);
    expect(client.status().ready).toBe(false);
    expect((await rejectionOf(client.ready({ timeout: 50 }))).code).toBe("ODE_ERR_READY_TIMEOUT");
    const notReady = await rejectionOf(client.getOffers({ request: localOnly }));
    expect(notReady.code).toBe("ODE_ERR_NOT_READY");
    expect(notReady.message).toBe("Unable to fulfill request; decisioning engine not ready.");

    const early = await client.getOffers({ decisioningMethod: "hybrid", request: localOnly });
    expect(early.meta.decisioningMethod).toBe("server-side");
    expect(early.meta.artifact).toBeUndefined();
    expect(nonPing(delivery.hits).map((h) => h.json.execute?.mboxes?.[0]?.name)).toEqual(["local-one"]);

    const served = { requests: 0 };
    const server = await listenOn(port, serveArtifact(JSON.stringify(hybridArtifact()), '"v1"', served));
    cleanups.push(() => server.stop());
    await client.ready({ timeout: 5000 });
    expect(counts.clientReady).toBe(1);

    const result = await client.getOffers({ request: localOnly });
    expect(result.meta.decisioningMethod).toBe("on-device");
    expect(result.response.execute!.mboxes![0]!.options![0]!.content).toEqual({ from: "local" });
    expect(result.meta.artifact).toMatchObject({ version: "1.0.0", source: "http", etag: '"v1"' });
    expect(result.meta.artifact!.ageMs).toBeGreaterThanOrEqual(0);
    expect(result.meta.artifact!.retrievedAt).toBeLessThanOrEqual(Date.now());

    // One more poll (a 304 thanks to the ETag) confirms the artifact: still one clientReady.
    expect(counts.succeeded).toBe(1);
    await waitFor(() => served.requests >= 2 && client.status().artifact!.retrievedAt > result.meta.artifact!.retrievedAt, 4000);
    expect(counts.succeeded).toBe(1);
    expect(counts.clientReady).toBe(1);
  });
});

describe("close() during start-up", () => {
  it("aborts the hanging artifact download and the ping; a pending ready() rejects with ODE_ERR_CLOSED", async () => {
    delivery = await startStub(() => undefined); // never answers: neither the artifact nor the ping
    const client = create({ decisioningMethod: "hybrid", artifactLocation: `${delivery.origin}/acme/rules.json` });
    const ready = rejectionOf(client.ready()); // handled at once: close() rejects it
    await waitFor(() => delivery!.hits.length >= 2);
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await ready).code).toBe("ODE_ERR_CLOSED");
    await waitFor(() => delivery!.abortedRequests >= 2);
  });
});

describe("maximumArtifactAge (ManualScheduler)", () => {
  it("a too-old artifact is not usable: on-device rejects ODE_ERR_ARTIFACT_STALE, hybrid goes remote, artifactStale once", async () => {
    delivery = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const start = Date.now();
    const scheduler = new ManualScheduler(start);
    const stale: any[] = [];
    const client = create({
      decisioningMethod: "hybrid",
      artifactPayload: hybridArtifact(),
      pollingInterval: 0,
      maximumArtifactAge: 60_000,
      scheduler,
      events: { artifactStale: (e) => stale.push(e) },
    });
    await client.ready();
    await waitFor(() => delivery!.hits.some(isPing) && delivery!.active === 0);

    const fresh = await client.getOffers({ request: localOnly });
    expect(fresh.meta.decisioningMethod).toBe("on-device");
    expect(fresh.meta.artifact).toEqual({ version: "1.0.0", retrievedAt: start, ageMs: 0, source: "payload" });
    await scheduler.advance(30_000);
    expect((await client.getOffers({ request: localOnly })).meta.artifact!.ageMs).toBe(30_000);
    expect(stale).toHaveLength(0);

    await scheduler.advance(30_001);
    const err = await rejectionOf(client.getOffers({ decisioningMethod: "on-device", request: localOnly }));
    expect(err.code).toBe("ODE_ERR_ARTIFACT_STALE");
    expect(stale).toEqual([{ type: "artifactStale", ageMs: 60_001, maximumArtifactAge: 60_000 }]);

    const before = nonPing(delivery.hits).filter((h) => h.json.execute).length;
    const remote = await client.getOffers({ request: mixed });
    expect(remote.meta.decisioningMethod).toBe("server-side");
    expect(remote.meta.remoteMboxes).toEqual(["remote-one"]);
    expect(remote.meta.artifact).toMatchObject({ source: "payload", ageMs: 60_001 });
    const sent = nonPing(delivery.hits).filter((h) => h.json.execute);
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)!.json.execute.mboxes.map((m: any) => m.name)).toEqual(["local-one", "remote-one"]);
    expect(client.status()).toMatchObject({ ready: true, fresh: false });
    expect(stale).toHaveLength(1);
  });
});

describe("meta.artifact and fetchApi", () => {
  it("every result of an engine client carries meta.artifact; fetchApi carries every HTTP call (artifact, ping, geo, Delivery, notifications)", async () => {
    delivery = await startStub((hit, res) => {
      if (hit.path === "/acme/rules.json") {
        res.writeHead(200, { "content-type": "application/json", etag: '"a1"' });
        res.end(JSON.stringify(hybridArtifact({ geoTargetingEnabled: true, generatedAt: "2024-05-01T00:00:00.000Z" })));
      } else if (hit.path === "/v1/geo") {
        json(res, 200, { "x-geo-city": "PARIS", "x-geo-country-code": "FR" });
      } else json(res, 200, deliveryAnswer(hit));
    });
    // Routes the default CDN host and the geo endpoint to the stand-in; everything is recorded.
    const fetchApi = recordingFetch(toOrigin(delivery.origin));
    const client = create({
      decisioningMethod: "hybrid",
      artifactLocation: `${delivery.origin}/acme/rules.json`,
      fetchApi,
    });
    await client.ready({ timeout: 3000 });
    const results: GetOffersResult[] = [];
    const geo = { ipAddress: "203.0.113.9" };
    results.push(await client.getOffers({ request: { ...localOnly, context: { channel: "web", geo } } }));
    results.push(await client.getOffers({ request: mixed }));
    results.push(await client.getOffers({ decisioningMethod: "on-device", request: mixed }));
    results.push(await client.getOffers({ decisioningMethod: "server-side", request: localOnly }));
    await client.flush();

    expect(results.map((r) => r.meta.decisioningMethod)).toEqual(["on-device", "hybrid", "on-device", "server-side"]);
    for (const r of results) {
      expect(r.meta.artifact).toEqual({
        version: "1.0.0",
        generatedAt: "2024-05-01T00:00:00.000Z",
        etag: '"a1"',
        retrievedAt: expect.any(Number),
        ageMs: expect.any(Number),
        source: "http",
      });
    }
    expect(results[0]!.request.context!.geo).toEqual(geo);

    await waitFor(() => delivery!.active === 0);
    const paths = delivery.hits.map((h) => `${h.method} ${h.path}`);
    expect(paths).toContain("GET /acme/rules.json");
    expect(paths).toContain("GET /v1/geo");
    expect(delivery.hits.filter(isPing)).toHaveLength(1);
    expect(nonPing(delivery.hits).filter((h) => h.json?.notifications).length).toBeGreaterThanOrEqual(1);
    // Every request the stand-in saw went through fetchApi (and nothing else was called).
    expect(fetchApi.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`).sort()).toEqual([...paths].sort());
    expect(fetchApi.calls.find((c) => c.url.endsWith("/v1/geo"))!.url).toBe("https://assets.adobetarget.com/v1/geo");
  });
});
