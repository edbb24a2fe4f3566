/** File source (path, file:// URL, watch) and user-supplied sources. */
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeRulesBin } from "../../src/artifact/rules-bin";
import type { ArtifactLoadContext, ArtifactSource } from "../../src/artifact/source";
import { createStaticSource } from "../../src/artifact/sources";
import { anArtifact, setup, waitUntil } from "./support";

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ode-file-"));
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await rm(dir, { recursive: true, force: true });
});
function track<T extends { manager: { close(): Promise<void> } }>(s: T): T {
  cleanups.push(() => s.manager.close());
  return s;
}

describe("file source", () => {
  it("loads from a path, and a poll of an unchanged file costs no parse", async () => {
    const path = join(dir, "rules.json");
    await writeFile(path, JSON.stringify(anArtifact()));
    const { manager, events, compile, telemetry } = track(
      setup({ artifactLocation: path, pollingInterval: 1000 }),
    );
    manager.start();
    const loaded = await manager.whenReady();
    expect(loaded).toMatchObject({ source: "file", location: path, compiled: { rules: 1 } });
    expect(loaded.etag).toBeUndefined();
    expect(events.of("artifactDownloadSucceeded")).toHaveLength(1);
    expect(events.count("geoLocationUpdated")).toBe(0);
    expect(telemetry).toHaveLength(0); // telemetry is for HTTP downloads only
    await manager.refresh();
    expect(compile).toHaveBeenCalledTimes(1);
    expect(events.count("artifactUpdated")).toBe(1);
  });

  it("picks up a change of a watched file (file:// URL), including a replace-by-rename", async () => {
    const path = join(dir, "rules.json");
    await writeFile(path, JSON.stringify(anArtifact({ hero: 1 })));
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: pathToFileURL(path).href, watchFile: true, pollingInterval: 0 }),
    );
    manager.start();
    await manager.whenReady();
    expect(scheduler.pending).toBe(0);

    await writeFile(path, JSON.stringify(anArtifact({ hero: 1, promo: 1 })));
    await waitUntil(() => scheduler.pending > 0); // the watcher armed its debounce timer
    expect(scheduler.pendingDelays()).toEqual([100]);
    await scheduler.advance(100);
    await events.waitFor("artifactUpdated", 2);
    expect(manager.current()?.compiled).toEqual({ rules: 2 });

    const tmp = join(dir, "rules.json.tmp");
    await writeFile(tmp, JSON.stringify(anArtifact({ a: 1, b: 1, c: 1 })));
    await rename(tmp, path);
    await waitUntil(() => scheduler.pending > 0);
    await scheduler.advance(100);
    await events.waitFor("artifactUpdated", 3);
    expect(manager.current()?.compiled).toEqual({ rules: 3 });
    expect(manager.current()?.retrievalCount).toBe(3);
  });

  it("keeps the last good artifact when the watched file turns invalid", async () => {
    const path = join(dir, "rules.json");
    await writeFile(path, JSON.stringify(anArtifact()));
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: path, watchFile: true, pollingInterval: 0 }),
    );
    manager.start();
    const good = await manager.whenReady();
    await writeFile(path, "{ half-written");
    await waitUntil(() => scheduler.pending > 0);
    await scheduler.advance(100);
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]?.code).toBe("ODE_ERR_ARTIFACT_PARSE");
    expect(manager.current()).toBe(good);
  });

  it("retries a missing file with backoff until it appears", async () => {
    const path = join(dir, "later.json");
    const { manager, events, scheduler } = track(
      setup({ artifactLocation: path, pollingInterval: 0, backoff: { jitter: 0 } }),
    );
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({ code: "ODE_ERR_ARTIFACT_UNAVAILABLE", recoverable: true });
    expect(scheduler.pendingDelays()).toEqual([1000]);
    await writeFile(path, JSON.stringify(anArtifact()));
    await scheduler.advance(1000);
    expect((await manager.whenReady()).source).toBe("file");
  });

  it("rejects a file above maximumArtifactSize and decodes a .bin file", async () => {
    const big = join(dir, "big.json");
    await writeFile(big, JSON.stringify(anArtifact({ hero: 50 })));
    const a = track(setup({ artifactLocation: big, pollingInterval: 0, maximumArtifactSize: 1024 }));
    a.manager.start();
    await a.events.waitFor("artifactDownloadFailed", 1);
    expect(a.events.failures()[0]?.code).toBe("ODE_ERR_ARTIFACT_TOO_LARGE");

    const bin = join(dir, "rules.BIN");
    await writeFile(bin, encodeRulesBin(anArtifact(), "ORG@AdobeOrg"));
    const b = track(setup({ artifactLocation: bin, pollingInterval: 0 }));
    b.manager.start();
    expect((await b.manager.whenReady()).artifact).toEqual(anArtifact());
  });
});

describe("custom sources", () => {
  it("accepts JSON text, objects and rules.bin bytes, passes the etag back, and reports as custom", async () => {
    const bodies: unknown[] = [
      { status: "updated", body: JSON.stringify(anArtifact({ a: 1 })), etag: "e1" },
      { status: "unchanged" },
      { status: "updated", body: anArtifact({ a: 1, b: 1 }), etag: "e2" },
      {
        status: "updated",
        body: encodeRulesBin(anArtifact({ a: 1, b: 1, c: 1 }), "ORG@AdobeOrg"),
        format: "bin",
      },
    ];
    const contexts: ArtifactLoadContext[] = [];
    const source: ArtifactSource = {
      location: "kv://artifacts/acme",
      async load(ctx) {
        contexts.push(ctx);
        return bodies.shift() as never;
      },
    };
    const { manager, events, compile } = track(setup({ artifactSource: source, pollingInterval: 0 }));
    manager.start();
    expect(await manager.whenReady()).toMatchObject({
      source: "custom",
      location: "kv://artifacts/acme",
      etag: "e1",
      compiled: { rules: 1 },
    });
    await manager.refresh();
    expect(compile).toHaveBeenCalledTimes(1);
    await manager.refresh();
    expect(manager.current()).toMatchObject({ etag: "e2", compiled: { rules: 2 } });
    await manager.refresh();
    expect(manager.current()?.compiled).toEqual({ rules: 3 });
    expect(contexts.map((c) => c.etag)).toEqual([undefined, "e1", "e1", "e2"]);
    expect(contexts.every((c) => c.signal instanceof AbortSignal)).toBe(true);
    expect(events.of("artifactDownloadSucceeded")).toHaveLength(3);
  });

  it("turns a throwing or malformed source into ODE_ERR_ARTIFACT_UNAVAILABLE events", async () => {
    const results = [() => Promise.reject(new Error("kv timeout")), () => Promise.resolve({ nope: true })];
    const source = { load: () => results.shift()!() } as unknown as ArtifactSource;
    const { manager, events, scheduler } = track(setup({ artifactSource: source, pollingInterval: 0 }));
    manager.start();
    await events.waitFor("artifactDownloadFailed", 1);
    expect(events.failures()[0]).toMatchObject({
      code: "ODE_ERR_ARTIFACT_UNAVAILABLE",
      message: expect.stringContaining("kv timeout"),
    });
    expect(events.of("artifactDownloadFailed")[0]?.artifactLocation).toBe("custom");
    await scheduler.advance(scheduler.pendingDelays()[0]!);
    await events.waitFor("artifactDownloadFailed", 2);
    expect(events.failures()[1]?.code).toBe("ODE_ERR_ARTIFACT_UNAVAILABLE");
  });

  it("debounces a custom source's change notifications into one load", async () => {
    let notify: () => void = () => {};
    let loads = 0;
    const source: ArtifactSource = {
      async load() {
        loads++;
        return { status: "updated", body: anArtifact(), etag: `e${loads}` };
      },
      watch(onChange) {
        notify = onChange;
        return () => (notify = () => {});
      },
    };
    const { manager, events, scheduler } = track(
      setup({ artifactSource: source, pollingInterval: 0, watchFile: true }),
    );
    manager.start();
    await manager.whenReady();
    notify();
    notify();
    notify();
    expect(scheduler.pendingDelays()).toEqual([100]);
    await scheduler.advance(100);
    await events.waitFor("artifactUpdated", 2);
    expect(loads).toBe(2);
    await manager.close();
    notify();
    expect(scheduler.pending).toBe(0);
  });

  it("createStaticSource serves one object as it is", async () => {
    const artifact = anArtifact();
    const { manager, compile } = track(
      setup({ artifactSource: createStaticSource(artifact as never), pollingInterval: 0 }),
    );
    manager.start();
    expect((await manager.whenReady()).artifact).toBe(artifact);
    await manager.refresh();
    expect(compile).toHaveBeenCalledTimes(1);
  });
});
