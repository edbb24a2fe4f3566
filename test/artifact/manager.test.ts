/** Artifact manager: validation before swap, recovery, payload bootstrap, freshness, lifecycle. */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { encodeRulesBin } from "../../src/artifact/rules-bin";
import { DecisioningError } from "../../src/errors";
import { anArtifact, etagged, json, setup, startServer, type Handler, type TestServer } from "./support";

let server: TestServer | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await server?.close();
  server = undefined;
});
function track<T extends { manager: { close(): Promise<void> } }>(s: T): T {
  cleanups.push(() => s.manager.close());
  return s;
}

const ORG = "ORG@AdobeOrg";
const bytes =
  (data: Uint8Array | string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", ...headers });
    res.end(data);
  };
const chunked =
  (size: number): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }); // no content-length: chunked
    const chunk = "x".repeat(1024);
    for (let sent = 0; sent < size; sent += chunk.length) res.write(chunk);
    res.end();
  };
const regexArtifact = () => {
  const a = JSON.parse(JSON.stringify(anArtifact()));
  a.rules.mboxes.hero[0].condition = { regex_match: [{ var: "page.url" }, "^https://"] };
  return a;
};

describe("validation before swap", () => {
  it.each([
    [
      "a corrupt JSON body",
      "/rules.json",
      () => json('{"version": "1.0.0", "rules": {'),
      "ODE_ERR_ARTIFACT_PARSE",
    ],
    [
      "a version-2 artifact",
      "/rules.json",
      () => json(anArtifact({ hero: 1 }, "2.0.0")),
      "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
    ],
    [
      "a wrongly shaped artifact",
      "/rules.json",
      () => json({ version: "1.0.0", rules: { mboxes: { hero: {} } } }),
      "ODE_ERR_ARTIFACT_INVALID",
    ],
    [
      "a truncated rules.bin",
      "/rules.bin",
      () => bytes(encodeRulesBin(anArtifact(), ORG).subarray(0, 30)),
      "ODE_ERR_ARTIFACT_BIN_INVALID",
    ],
    [
      "a rules.bin cut inside the body",
      "/rules.bin",
      () => bytes(encodeRulesBin(anArtifact(), ORG).subarray(0, 120)),
      "ODE_ERR_ARTIFACT_PARSE",
    ],
    [
      "an unknown json-logic operator",
      "/rules.json",
      () => json(regexArtifact()),
      "ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR",
    ],
    [
      "a body whose Content-Length exceeds the limit",
      "/rules.json",
      () => json(anArtifact({ hero: 40 })),
      "ODE_ERR_ARTIFACT_TOO_LARGE",
    ],
    [
      "a chunked body that grows past the limit",
      "/rules.json",
      () => chunked(64 * 1024),
      "ODE_ERR_ARTIFACT_TOO_LARGE",
    ],
  ])("rejects %s with an event and keeps serving the last good artifact", async (_name, path, bad, code) => {
    const good = anArtifact({ hero: 1 });
    server = await startServer(path.endsWith(".bin") ? bytes(encodeRulesBin(good, ORG)) : json(good));
    const { manager, events, compile } = track(
      setup({ artifactLocation: server.url(path), pollingInterval: 60_000, maximumArtifactSize: 8 * 1024 }),
    );
    manager.start();
    const first = await manager.whenReady();
    const compiles = compile.mock.calls.length;

    server.handle(bad());
    const err = await manager.refresh().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DecisioningError.is(err)).toBe(true);
    expect((err as DecisioningError).code).toBe(code);
    expect(events.failures()).toHaveLength(1);
    expect(events.failures()[0]?.code).toBe(code);
    expect(events.of("artifactDownloadFailed")[0]?.artifactLocation).toBe(server.url(path));
    expect(manager.current()).toBe(first);
    expect(events.count("artifactUpdated")).toBe(1);
    expect(compile.mock.calls.length).toBe(
      code === "ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR" ? compiles + 1 : compiles,
    );
  });

  it("waits the maximum backoff (capped by the interval) after a rejected artifact rather than retrying fast", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 300_000 }),
    );
    manager.start();
    await manager.whenReady();
    server.handle(json("not json"));
    await scheduler.advance(300_000);
    await events.waitFor("artifactDownloadFailed", 1);
    expect(scheduler.pendingDelays()).toEqual([60_000]);
  });
});

describe("recovery", () => {
  it("becomes ready once a server that was down at start comes up (polling off)", async () => {
    server = await startServer(json(anArtifact()));
    const port = server.port;
    await server.close();
    const { manager, events, scheduler } = track(
      setup({
        artifactLocation: `http://127.0.0.1:${port}/rules.json`,
        pollingInterval: 0,
        backoff: { jitter: 0 },
      }),
    );
    let ready = false;
    void manager.whenReady().then(() => (ready = true));
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({ code: "ODE_ERR_NETWORK", recoverable: true });
    await scheduler.advance(1000);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(ready).toBe(false);
    expect(scheduler.pendingDelays()).toEqual([2000]);
    await server.listen(port);
    await scheduler.advance(2000);
    const loaded = await manager.whenReady();
    expect(loaded.source).toBe("http");
    expect(ready).toBe(true);
    expect(scheduler.pendingDelays()).toEqual([]);
  });
});

describe("artifactPayload bootstrap", () => {
  it("serves the payload at once without downloading, without mutating it, and polls after the interval", async () => {
    server = await startServer(json(anArtifact({ hero: 1, promo: 1 })));
    const payload = anArtifact({ hero: 1 });
    const snapshot = JSON.stringify(payload);
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: server.url(), artifactPayload: payload, pollingInterval: 60_000 }),
    );
    manager.start();
    expect(manager.isReady()).toBe(true);
    expect(manager.current()).toMatchObject({
      source: "payload",
      retrievalCount: 1,
      version: "1.0.0",
      generatedAt: "2024-01-01T00:00:00.000Z",
    });
    expect(manager.current()?.artifact).toBe(payload);
    expect(events.events.map((e) => e.type)).toEqual(["artifactUpdated"]);
    expect(scheduler.pendingDelays()).toEqual([60_000]);
    expect(server.requests).toHaveLength(0);
    await scheduler.advance(60_000);
    await events.waitFor("artifactUpdated", 2);
    expect(manager.current()).toMatchObject({ source: "http", retrievalCount: 2, compiled: { rules: 2 } });
    expect(JSON.stringify(payload)).toBe(snapshot);
    expect(Object.isFrozen(payload)).toBe(false);
  });

  it("does not download at all with pollingInterval 0", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, scheduler } = track(
      setup({ artifactLocation: server.url(), artifactPayload: anArtifact(), pollingInterval: 0 }),
    );
    manager.start();
    expect(scheduler.pendingDelays()).toEqual([]);
    await scheduler.advance(3_600_000);
    expect(server.requests).toHaveLength(0);
  });

  it("reports an invalid payload and falls back to downloading", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, events } = track(
      setup({ artifactLocation: server.url(), artifactPayload: anArtifact({}, "9.0.0"), pollingInterval: 0 }),
    );
    manager.start();
    expect(events.failures()[0]?.code).toBe("ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED");
    expect((await manager.whenReady()).source).toBe("http");
  });
});

describe("freshness", () => {
  it("isFresh() compares the age with maximumArtifactAge and emits artifactStale once per artifact", async () => {
    server = await startServer(etagged(anArtifact(), '"a"'));
    const { manager, events } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0, maximumArtifactAge: 90_000 }),
    );
    expect(manager.isFresh()).toBe(false); // nothing loaded
    manager.start();
    const loaded = await manager.whenReady();
    expect(manager.isFresh()).toBe(true);
    expect(manager.isFresh(loaded.retrievedAt + 90_000)).toBe(true);
    expect(manager.isFresh(loaded.retrievedAt + 90_001)).toBe(false);
    expect(manager.isFresh(loaded.retrievedAt + 95_000)).toBe(false);
    expect(events.of("artifactStale")).toEqual([{ ageMs: 90_001, maximumArtifactAge: 90_000 }]);
  });

  it("detects staleness at a poll tick during an outage, and a 304 makes the artifact fresh again", async () => {
    server = await startServer(etagged(anArtifact(), '"a"'));
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 120_000, maximumArtifactAge: 90_000 }),
    );
    manager.start();
    await manager.whenReady();
    server.handle(json("down", {}, 500));
    await scheduler.advance(120_000);
    expect(events.of("artifactStale")).toEqual([{ ageMs: 120_000, maximumArtifactAge: 90_000 }]);
    await events.waitFor("artifactDownloadFailed", 1);
    expect(manager.isFresh()).toBe(false);
    expect(events.count("artifactStale")).toBe(1);

    server.handle(etagged(anArtifact(), '"a"'));
    await manager.refresh();
    expect(manager.isFresh()).toBe(true);
    expect(manager.current()).toMatchObject({ retrievedAt: scheduler.now(), retrievalCount: 1 });
  });
});

describe("lifecycle", () => {
  it("close() is idempotent, aborts the in-flight download, rejects whenReady and emits nothing afterwards", async () => {
    let aborted = false;
    const held: ServerResponse[] = [];
    server = await startServer((req, res) => {
      held.push(res);
      res.on("close", () => (aborted = !res.writableEnded));
    });
    const { manager, events, scheduler } = setup({ artifactLocation: server.url(), pollingInterval: 60_000 });
    const ready = manager.whenReady();
    manager.start();
    await server.waitForRequests(1);
    const c1 = manager.close();
    const c2 = manager.close();
    expect(c2).toBe(c1);
    await c1;
    await manager.close();
    await expect(ready).rejects.toMatchObject({ code: "ODE_ERR_CLOSED" });
    await expect(manager.whenReady()).rejects.toMatchObject({ code: "ODE_ERR_CLOSED" });
    await expect(manager.refresh()).rejects.toMatchObject({ code: "ODE_ERR_CLOSED" });
    // Let the server observe the aborted socket (a loaded machine may take more than a few ms).
    for (let i = 0; i < 100 && !aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(aborted).toBe(true);
    expect(scheduler.pending).toBe(0);
    expect(events.events).toEqual([]);
    manager.start(); // no effect after close
    expect(scheduler.pending).toBe(0);
  });

  it("close() cancels the poll timer", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, scheduler } = setup({ artifactLocation: server.url(), pollingInterval: 60_000 });
    manager.start();
    await manager.whenReady();
    expect(scheduler.pending).toBe(1);
    await manager.close();
    expect(scheduler.pending).toBe(0);
    await scheduler.advance(600_000);
    expect(server.requests).toHaveLength(1);
  });

  it("calls onUpdate listeners for each new artifact, survives a throwing listener, and unsubscribes", async () => {
    server = await startServer(json(anArtifact()));
    const { manager, logs } = track(setup({ artifactLocation: server.url(), pollingInterval: 0 }));
    const seen: number[] = [];
    manager.onUpdate(() => {
      throw new Error("listener bug");
    });
    const off = manager.onUpdate((a) => seen.push(a.retrievalCount));
    manager.start();
    await manager.whenReady();
    await manager.refresh();
    off();
    await manager.refresh();
    expect(seen).toEqual([1, 2]);
    expect(manager.current()?.retrievalCount).toBe(3);
    expect(logs.some((l) => l.includes("listener threw"))).toBe(true);
  });

  it("rejects an unsupported artifactLocation scheme at creation", () => {
    expect(() => setup({ artifactLocation: "ftp://example.test/rules.json" })).toThrow(
      expect.objectContaining({ code: "ODE_ERR_INVALID_OPTION" }) as unknown as Error,
    );
  });
});
