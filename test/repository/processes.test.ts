/**
 * Real processes: `node bin/odd.js serve` (the built CLI). Concurrency: 32 parallel PATCHes with
 * one If-Match give exactly one 200 and 31 409s (in one process; on PostgreSQL also across two
 * processes sharing the database). Durability: kill -9 during a burst of writes loses no write that
 * was acknowledged (checked after a restart on the same store).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testStores, type TestStore } from "../../src/storage/testing";
import { OM, PATCH_TYPE, TOKEN, call, createContainer, hal, type Harness } from "./support";

const stores: TestStore[] = await testStores();
afterAll(() => Promise.all(stores.map((s) => s.dispose())));
const BIN = path.resolve(import.meta.dirname, "../../bin/odd.js");

interface Served {
  child: ChildProcess;
  base: string;
  harness: Harness;
}

async function serve(store: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--store", store, "--api-token", TOKEN], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("odd serve did not start")), 20_000);
    child.once("exit", (code) => reject(new Error(`odd serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "listening" && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
  });
  const base = `${url}/data/core/xcore`;
  const harness: Harness = {
    service: undefined as never,
    base,
    call: (method, p, options) => call(base, method, p, options),
    close: async () => stop(child),
  };
  return { child, base, harness };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

async function createTag(h: Harness, c: string, name: string) {
  return h.call("POST", `/${c}/instances`, { body: { _instance: { "xdm:name": name }, _links: {} }, contentType: hal(`${OM}/tag`) });
}

async function racePatches(servers: Harness[], c: string, instanceId: string): Promise<number[]> {
  const patch = [{ op: "replace", path: "/_instance/xdm:name", value: "raced" }];
  const replies = await Promise.all(
    Array.from({ length: 32 }, (_, i) =>
      servers[i % servers.length]!.call("PATCH", `/${c}/instances/${instanceId}`, {
        body: [...patch, { op: "add", path: "/_instance/xdm:description", value: `writer ${i}` }],
        contentType: PATCH_TYPE,
        headers: { "if-match": '"1"' },
      }),
    ),
  );
  return replies.map((r) => r.status);
}

for (const store of stores) {
  describe(`odd serve processes on ${store.name}`, () => {
    it("32 parallel PATCHes with one If-Match: exactly one 200, 31 409s, etag +1", async () => {
      const a = await serve(store.url);
      const servers = [a.harness];
      const b = store.name === "postgres" ? await serve(store.url) : undefined;
      if (b) servers.push(b.harness);
      try {
        const c = await createContainer(a.harness, "race");
        const tag = (await createTag(a.harness, c, "race-me")).body;
        const statuses = await racePatches(servers, c, tag.instanceId);
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s === 409)).toHaveLength(31);
        const read = await servers[servers.length - 1]!.call("GET", `/${c}/instances/${tag.instanceId}`);
        expect(read.body["repo:etag"]).toBe(2);
      } finally {
        await a.harness.close();
        if (b) await b.harness.close();
      }
    });

    it("kill -9 during a write burst loses no acknowledged write", async () => {
      const first = await serve(store.url);
      const c = await createContainer(first.harness, "durable");
      const acknowledged: string[] = [];
      let stopped = false;
      const writer = async (w: number) => {
        for (let i = 0; !stopped; i++) {
          try {
            const reply = await createTag(first.harness, c, `w${w}-${i}`);
            if (reply.status === 201) acknowledged.push(reply.body.instanceId);
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 1500));
      await stop(first.child, "SIGKILL");
      stopped = true;
      await Promise.all(writers);
      expect(acknowledged.length).toBeGreaterThan(10);
      const second = await serve(store.url);
      try {
        const listed = await second.harness.call("GET", `/${c}/instances?limit=1`);
        expect(listed.body._embedded.total).toBeGreaterThanOrEqual(acknowledged.length);
        for (const id of acknowledged) {
          const read = await second.harness.call("GET", `/${c}/instances/${id}`);
          expect(read.status, id).toBe(200);
        }
      } finally {
        await second.harness.close();
      }
    });
  });
}
