/** Warm start from the artifact cache: directory and storage-port variants. */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheKeyFor, decodeCacheEntry, encodeCacheEntry, type ArtifactCacheStorage } from "../../src/artifact/cache";
import { createDirectoryStorage } from "../../src/artifact/directory-storage";
import { ManualScheduler } from "../support/manual-scheduler";
import { anArtifact, etagged, setup, startServer, type TestServer } from "./support";

let server: TestServer;
let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ode-cache-"));
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});
function track<T extends { manager: { close(): Promise<void> } }>(s: T): T {
  cleanups.push(() => s.manager.close());
  return s;
}

function memoryStorage(): ArtifactCacheStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    async get(key) {
      return map.get(key);
    },
    async set(key, value) {
      map.set(key, value);
    },
  };
}

const down = (_req: unknown, res: { socket: { destroy(): void } | null }) => res.socket?.destroy();

describe.each([
  ["a directory", () => dir as string | ArtifactCacheStorage],
  ["a storage port", () => memoryStorage() as string | ArtifactCacheStorage],
])("warm start with %s", (_name, makeCache) => {
  it("serves the cached artifact after a restart while the server is down, then confirms it with a 304", async () => {
    const cache = makeCache();
    server = await startServer(etagged(anArtifact({ hero: 1, promo: 1 }), '"v7"'));
    const first = setup(
      { artifactLocation: server.url(), pollingInterval: 0, artifactCache: cache },
      new ManualScheduler(1_000_000),
    );
    first.manager.start();
    await first.manager.whenReady();
    await first.manager.close(); // flushes the cache write

    server.handle(down);
    const second = track(
      setup(
        { artifactLocation: server.url(), pollingInterval: 0, artifactCache: cache },
        new ManualScheduler(5_000_000),
      ),
    );
    second.manager.start();
    const loaded = await second.manager.whenReady();
    expect(loaded).toMatchObject({
      source: "cache",
      etag: '"v7"',
      retrievedAt: 1_000_000,
      retrievalCount: 1,
      compiled: { rules: 2 },
    });
    expect(loaded.artifact).toEqual(anArtifact({ hero: 1, promo: 1 }));
    expect(second.events.of("artifactUpdated")[0]).toMatchObject({ source: "cache", etag: '"v7"' });
    expect(second.events.count("artifactDownloadSucceeded")).toBe(0);
    await second.events.waitFor("artifactDownloadFailed", 1);
    expect(second.events.failures()[0]?.code).toBe("ODE_ERR_NETWORK");
    expect(second.manager.current()).toBe(loaded); // still serving

    server.handle(etagged(anArtifact({ hero: 1, promo: 1 }), '"v7"'));
    expect(second.scheduler.pendingDelays()).toHaveLength(1); // the initial load keeps retrying
    await second.manager.refresh();
    expect(second.manager.current()?.source).toBe("http");
    expect(second.scheduler.pendingDelays()).toEqual([]); // loaded, polling off
    expect(server.requests.at(-1)?.headers["if-none-match"]).toBe('"v7"');
    expect(second.compile).toHaveBeenCalledTimes(1); // only the cache load compiled
    expect(second.manager.current()?.retrievalCount).toBe(1);
  });
});

describe("directory cache", () => {
  it("writes atomically under a key derived from the location, leaving no temporary files", async () => {
    server = await startServer(etagged(anArtifact(), '"e1"'));
    const { manager } = setup({ artifactLocation: server.url(), pollingInterval: 0, artifactCache: dir });
    manager.start();
    await manager.whenReady();
    await manager.close();
    const files = await readdir(dir);
    expect(files).toEqual([cacheKeyFor(server.url())]);
    const raw = await readFile(join(dir, files[0]!), "utf8");
    const entry = decodeCacheEntry(raw, server.url());
    expect(entry).toMatchObject({ etag: '"e1"', location: server.url(), text: JSON.stringify(anArtifact()) });
  });

  it("logs and ignores a corrupt entry, then downloads normally", async () => {
    server = await startServer(etagged(anArtifact(), '"e1"'));
    await writeFile(join(dir, cacheKeyFor(server.url())), "garbage");
    const { manager, logs } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0, artifactCache: dir }),
    );
    manager.start();
    expect((await manager.whenReady()).source).toBe("http");
    expect(logs.some((l) => l.startsWith("warn") && l.includes("cache entry ignored"))).toBe(true);
  });

  it("logs and ignores a cached artifact that no longer validates", async () => {
    server = await startServer(etagged(anArtifact(), '"e1"'));
    const entry = encodeCacheEntry({
      location: server.url(),
      text: JSON.stringify(anArtifact({}, "2.0.0")),
      retrievedAt: 1,
    });
    await writeFile(join(dir, cacheKeyFor(server.url())), entry);
    const { manager, logs } = track(
      setup({ artifactLocation: server.url(), pollingInterval: 0, artifactCache: dir }),
    );
    manager.start();
    expect((await manager.whenReady()).source).toBe("http");
    expect(server.requests[0]?.headers["if-none-match"]).toBeUndefined();
    expect(logs.some((l) => l.includes("ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED"))).toBe(true);
  });

  it("never fails on an unwritable cache directory", async () => {
    server = await startServer(etagged(anArtifact(), '"e1"'));
    const file = join(dir, "not-a-dir");
    await writeFile(file, "x");
    const { manager, logs } = setup({
      artifactLocation: server.url(),
      pollingInterval: 0,
      artifactCache: join(file, "sub"),
    });
    manager.start();
    await manager.whenReady();
    await manager.close();
    expect(logs.some((l) => l.includes("artifact cache write failed"))).toBe(true);
  });
});

describe("storage-port cache", () => {
  it("survives a throwing storage and a cache entry of another location", async () => {
    server = await startServer(etagged(anArtifact(), '"e1"'));
    const failing: ArtifactCacheStorage = {
      get() {
        throw new Error("redis down");
      },
      set() {
        throw new Error("redis down");
      },
    };
    const a = track(setup({ artifactLocation: server.url(), pollingInterval: 0, artifactCache: failing }));
    a.manager.start();
    expect((await a.manager.whenReady()).source).toBe("http");
    await a.manager.close();
    expect(a.logs.filter((l) => l.includes("redis down"))).toHaveLength(2);

    const storage = memoryStorage();
    storage.map.set(
      cacheKeyFor(server.url()),
      encodeCacheEntry({ location: "https://other/rules.json", text: "{}", retrievedAt: 1 }),
    );
    const b = track(setup({ artifactLocation: server.url(), pollingInterval: 0, artifactCache: storage }));
    b.manager.start();
    expect((await b.manager.whenReady()).source).toBe("http");
    expect(b.logs.some((l) => l.includes("another location"))).toBe(true);
  });

  it("uses the stored retrievedAt for freshness", async () => {
    server = await startServer(down);
    const storage = memoryStorage();
    storage.map.set(
      cacheKeyFor(server.url()),
      encodeCacheEntry({ location: server.url(), text: JSON.stringify(anArtifact()), retrievedAt: 0 }),
    );
    const { manager, events } = track(
      setup(
        {
          artifactLocation: server.url(),
          pollingInterval: 0,
          artifactCache: storage,
          maximumArtifactAge: 60_000,
        },
        new ManualScheduler(3_600_000),
      ),
    );
    manager.start();
    await manager.whenReady();
    expect(manager.isFresh()).toBe(false);
    expect(events.of("artifactStale")).toEqual([{ ageMs: 3_600_000, maximumArtifactAge: 60_000 }]);
  });
});

describe("directory storage", () => {
  it("returns undefined for a missing key and round-trips values", async () => {
    const storage = createDirectoryStorage(join(dir, "nested", "deeper"));
    expect(await storage.get("k")).toBeUndefined();
    await storage.set("k", "v1\\nbody");
    await storage.set("k", "v2");
    expect(await storage.get("k")).toBe("v2");
    expect(await readdir(join(dir, "nested", "deeper"))).toEqual(["k"]);
  });
});
