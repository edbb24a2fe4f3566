/** HTTP polling behaviour of the artifact manager against a real local server and a ManualScheduler. */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ManualScheduler } from "../support/manual-scheduler";
import { anArtifact, etagged, json, setup, startServer, waitUntil, type TestServer } from "./support";
import { conformanceDir } from "../support/shared";

let server: TestServer;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await server?.close();
});
function track<T extends { manager: { close(): Promise<void> } }>(s: T): T {
  cleanups.push(() => s.manager.close());
  return s;
}

describe("HTTP polling", () => {
  it("sends If-None-Match on the next poll and treats 304 as unchanged without compiling again", async () => {
    server = await startServer(etagged(anArtifact({ hero: 1 }), '"v1"'));
    const { manager, events, compile, telemetry, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 60_000 }),
    );
    manager.start();
    const first = await manager.whenReady();
    expect(first).toMatchObject({
      source: "http",
      etag: '"v1"',
      version: "1.0.0",
      retrievalCount: 1,
      location: server.url(),
    });
    expect(first.compiled).toEqual({ rules: 1 });
    expect(scheduler.pendingDelays()).toEqual([60_000]);
    expect(server.requests[0]?.headers["if-none-match"]).toBeUndefined();

    await scheduler.advance(60_000);
    await waitUntil(() => telemetry.length === 2);
    expect(server.requests[1]?.headers["if-none-match"]).toBe('"v1"');
    expect(compile).toHaveBeenCalledTimes(1);
    expect(events.count("artifactDownloadSucceeded")).toBe(1);
    expect(events.count("artifactUpdated")).toBe(1);
    const confirmed = manager.current()!;
    expect(confirmed.compiled).toBe(first.compiled);
    expect(confirmed.retrievalCount).toBe(1);
    expect(confirmed.retrievedAt).toBe(scheduler.now());
    expect(scheduler.pendingDelays()).toEqual([60_000]);

    server.handle(etagged(anArtifact({ hero: 1, promo: 2 }), '"v2"'));
    await scheduler.advance(60_000);
    await events.waitFor("artifactUpdated", 2);
    expect(server.requests[2]?.headers["if-none-match"]).toBe('"v1"');
    expect(compile).toHaveBeenCalledTimes(2);
    expect(manager.current()).toMatchObject({ etag: '"v2"', retrievalCount: 2, compiled: { rules: 2 } });
  });

  it("records exactly one ArtifactDownload telemetry entry per completed download (200 or 304)", async () => {
    server = await startServer(etagged(anArtifact(), '"e"'));
    const { manager, telemetry, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 1000 }),
    );
    manager.start();
    await manager.whenReady();
    expect(telemetry).toEqual([
      {
        requestId: "ArtifactDownload",
        timestamp: scheduler.now(),
        execution: expect.any(Number),
        parsing: expect.any(Number),
      },
    ]);
    await scheduler.advance(1000);
    await waitUntil(() => telemetry.length === 2);
    expect(telemetry[1]).toEqual({
      requestId: "ArtifactDownload",
      timestamp: scheduler.now(),
      execution: expect.any(Number),
    });
    server.handle(json("oops", {}, 500));
    await scheduler.advance(1000);
    await waitUntil(() => server.requests.length === 3);
    await manager.refresh().catch(() => {});
    expect(telemetry).toHaveLength(2);
  });

  it("emits artifactDownloadSucceeded, then geoLocationUpdated from x-geo-* headers, then artifactUpdated", async () => {
    server = await startServer(
      etagged(anArtifact(), '"g"', {
        "x-geo-latitude": "37.75",
        "x-geo-longitude": "-122.4",
        "x-geo-country-code": "US",
        "x-geo-region-code": "CA",
        "x-geo-city": "SAN FRANCISCO",
      }),
    );
    const { manager, events } = track(setup({ artifactLocation: server.url(), pollingInterval: 0 }));
    manager.start();
    await manager.whenReady();
    expect(events.events.map((e) => e.type)).toEqual([
      "artifactDownloadSucceeded",
      "geoLocationUpdated",
      "artifactUpdated",
    ]);
    expect(events.of("artifactDownloadSucceeded")[0]).toEqual({
      artifactLocation: server.url(),
      artifactPayload: anArtifact(),
    });
    expect(events.of("geoLocationUpdated")[0]).toEqual({
      geoContext: {
        latitude: 37.75,
        longitude: -122.4,
        countryCode: "US",
        stateCode: "CA",
        city: "SAN FRANCISCO",
      },
    });
    expect(events.of("artifactUpdated")[0]).toEqual({
      version: "1.0.0",
      etag: '"g"',
      generatedAt: "2024-01-01T00:00:00.000Z",
      source: "http",
      location: server.url(),
      retrievedAt: expect.any(Number),
    });
  });

  it("backs off after 500s with growing, jittered delays, and recovers (initial load, polling off)", async () => {
    const randoms = [0.2, 0.8, 0.4];
    let i = 0;
    const scheduler = new ManualScheduler(0, () => randoms[i++ % randoms.length] as number);
    server = await startServer(json({ error: "boom" }, {}, 500));
    const { manager, events } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0 }, scheduler),
    );
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({
      code: "ODE_ERR_HTTP_STATUS",
      status: 500,
      recoverable: true,
    });
    expect(scheduler.pendingDelays()).toEqual([900]); // 1000 × (1 − 0.5 × 0.2)
    await scheduler.advance(900);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(scheduler.pendingDelays()).toEqual([1200]); // 2000 × (1 − 0.5 × 0.8)
    await scheduler.advance(1200);
    await events.waitFor("artifactDownloadFailed", 3);
    expect(scheduler.pendingDelays()).toEqual([3200]); // 4000 × (1 − 0.5 × 0.4)
    expect(manager.isReady()).toBe(false);

    server.handle(json(anArtifact()));
    await scheduler.advance(3200);
    await manager.whenReady();
    expect(manager.isReady()).toBe(true);
    expect(scheduler.pendingDelays()).toEqual([]); // polling off: nothing more after the first success
  });

  it("resets the backoff after a success and never waits longer than the polling interval once loaded", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, events, scheduler } = track(
      setup({
        artifactLocation: server.url(),
        pollingInterval: 3000,
        backoff: { initialDelay: 1000, jitter: 0 },
      }),
    );
    manager.start();
    await manager.whenReady();
    server.handle(json("down", {}, 503));
    await scheduler.advance(3000);
    await events.waitFor("artifactDownloadFailed", 1);
    expect(scheduler.pendingDelays()).toEqual([1000]);
    await scheduler.advance(1000);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(scheduler.pendingDelays()).toEqual([2000]);
    await scheduler.advance(2000);
    await events.waitFor("artifactDownloadFailed", 3);
    expect(scheduler.pendingDelays()).toEqual([3000]); // 4000 capped at the polling interval
    server.handle(json(anArtifact()));
    await scheduler.advance(3000);
    await events.waitFor("artifactDownloadSucceeded", 2);
    expect(scheduler.pendingDelays()).toEqual([3000]);
    server.handle(json("down", {}, 503));
    await scheduler.advance(3000);
    await events.waitFor("artifactDownloadFailed", 4);
    expect(scheduler.pendingDelays()).toEqual([1000]); // reset
  });

  it("times out a hanging download through the AbortSignal, backs off and recovers", async () => {
    const hung: ServerResponse[] = [];
    server = await startServer((_req, res) => void hung.push(res));
    const { manager, events, scheduler } = track(
      setup({
        artifactLocation: server.url(),
        pollingInterval: 0,
        downloadTimeout: 5000,
        backoff: { jitter: 0 },
      }),
    );
    manager.start();
    await server.waitForRequests(1);
    expect(scheduler.pendingDelays()).toEqual([5000]);
    await scheduler.advance(5000);
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({ code: "ODE_ERR_TIMEOUT", recoverable: true });
    expect(scheduler.pendingDelays()).toEqual([1000]);
    await scheduler.advance(1000);
    await server.waitForRequests(2);
    await scheduler.advance(5000);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(scheduler.pendingDelays()).toEqual([2000]);
    server.handle(json(anArtifact()));
    await scheduler.advance(2000);
    await manager.whenReady();
    expect(manager.current()?.source).toBe("http");
  });

  it("honours Retry-After, up to max(maxDelay, pollingInterval)", async () => {
    server = await startServer(json("slow down", { "retry-after": "30" }, 503));
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0 }),
    );
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]?.details).toMatchObject({ retryAfterMs: 30_000 });
    expect(scheduler.pendingDelays()).toEqual([30_000]);
    server.handle(json("slow down", { "retry-after": "86400" }, 429));
    await scheduler.advance(30_000);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(scheduler.pendingDelays()).toEqual([60_000]);
  });

  it("reports 401/403 as ODE_ERR_ARTIFACT_AUTH and keeps trying at the maximum backoff", async () => {
    server = await startServer(json("no", {}, 401));
    const { manager, events, logs, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0 }),
    );
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({
      code: "ODE_ERR_ARTIFACT_AUTH",
      status: 401,
      recoverable: false,
    });
    expect(logs.some((l) => l.startsWith("error") && l.includes("ODE_ERR_ARTIFACT_AUTH"))).toBe(true);
    expect(scheduler.pendingDelays()).toEqual([60_000]);
    server.handle(json("no", {}, 403));
    await scheduler.advance(60_000);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(events.failures()[1]).toMatchObject({ code: "ODE_ERR_ARTIFACT_AUTH", status: 403 });
    server.handle(json(anArtifact()));
    await scheduler.advance(60_000);
    await manager.whenReady();
  });

  it("never runs two downloads at once: refresh() during a download returns that download", async () => {
    const held: ServerResponse[] = [];
    server = await startServer((_req, res) => void held.push(res));
    const { manager } = track(setup({ artifactLocation: server.url(), pollingInterval: 0 }));
    manager.start();
    await server.waitForRequests(1);
    const a = manager.refresh();
    const b = manager.refresh();
    await new Promise((r) => setTimeout(r, 20)); // real time for a second request to show up, if any
    expect(server.requests).toHaveLength(1);
    const body = JSON.stringify(anArtifact());
    held[0]!.writeHead(200, { "content-type": "application/json" });
    held[0]!.end(body);
    await Promise.all([a, b]);
    expect(server.requests).toHaveLength(1);
    server.handle(json(anArtifact()));
    await manager.refresh();
    expect(server.requests).toHaveLength(2);
  });

  it("downloads and decodes rules.bin (the .bin suffix selects the decoder)", async () => {
    const bin = readFileSync(`${conformanceDir()}/obfuscated/rules.bin`);
    const expected = JSON.parse(readFileSync(`${conformanceDir()}/obfuscated/rules.json`, "utf8"));
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(bin);
    });
    const { manager } = track(
      setup({
        artifactLocation: server.url("/v1/rules.bin"),
        organizationId: "74F652E95F1B16FE0A495C92@AdobeOrg",
        pollingInterval: 0,
      }),
    );
    manager.start();
    const loaded = await manager.whenReady();
    expect(loaded.artifact).toEqual(expected);
  });

  it("raises polling intervals below 1 s to 1 s and treats 0 as off", async () => {
    server = await startServer(json(anArtifact()));
    const fast = track(setup({ artifactLocation: server.url(), pollingInterval: 10 }));
    expect(fast.manager.pollingInterval).toBe(1000);
    fast.manager.start();
    await fast.manager.whenReady();
    expect(fast.scheduler.pendingDelays()).toEqual([1000]);
    expect(track(setup({ artifactLocation: server.url() })).manager.pollingInterval).toBe(300_000);
    expect(
      track(setup({ artifactLocation: server.url(), pollingInterval: -5 })).manager.pollingInterval,
    ).toBe(300_000);
    expect(track(setup({ artifactLocation: server.url(), pollingInterval: 0 })).manager.pollingInterval).toBe(
      0,
    );
  });
});
