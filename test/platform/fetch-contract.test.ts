/**
 * The FetchLike contract, run against every Node adapter: the undici pool on the calling thread
 * (createDefaultFetch) and the same pool on a worker thread (createThreadFetch). A real HTTP server
 * on 127.0.0.1 plays the other side.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDefaultFetch } from "../../src/platform/defaults";
import type { FetchLike } from "../../src/platform/http";
import { createThreadFetch } from "../../src/platform/thread-fetch";

const BINARY = Buffer.from([0, 255, 128, 10, 13, 0xc3, 0x28, 7]);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      if (path.startsWith("/echo")) {
        res.writeHead(201, { "content-type": "application/json", "x-multi": ["a", "b"] });
        res.end(JSON.stringify({ method: req.method, path, body, header: req.headers["x-test"] ?? null }));
      } else if (path === "/binary") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(BINARY);
      } else if (path === "/redirect") {
        res.writeHead(302, { location: "/echo" });
        res.end("moved");
      } else if (path === "/slow") {
        setTimeout(() => res.end("late"), 5_000).unref();
      } else {
        res.writeHead(500);
        res.end("broken: é");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const adapters: [string, () => { fetch: FetchLike; close(): Promise<void> }][] = [
  ["createDefaultFetch (this thread)", createDefaultFetch],
  ["createThreadFetch (a worker thread)", createThreadFetch],
];

describe.each(adapters)("FetchLike contract: %s", (_name, create) => {
  let adapter: { fetch: FetchLike; close(): Promise<void> };
  beforeAll(() => {
    adapter = create();
  });
  afterAll(async () => {
    await adapter.close();
  });

  it("sends method, path with query, headers and body; answers status, headers and body", async () => {
    const res = await adapter.fetch(`${base}/echo?a=1&b=%20`, {
      method: "POST",
      headers: { "x-test": "yes", "content-type": "application/json" },
      body: '{"k":"v é"}',
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(res.headers.get("x-multi")).toBe("a, b");
    expect(res.headers.get("x-absent")).toBeNull();
    expect(await res.json!()).toEqual({
      method: "POST",
      path: "/echo?a=1&b=%20",
      body: '{"k":"v é"}',
      header: "yes",
    });
  });

  it("keeps a binary body intact, and reads an error status's body", async () => {
    const bin = await adapter.fetch(`${base}/binary`);
    expect(Buffer.from(await bin.arrayBuffer())).toEqual(BINARY);
    const failed = await adapter.fetch(`${base}/nothing-here`);
    expect(failed.status).toBe(500);
    expect(failed.ok).toBe(false);
    expect(await failed.text()).toBe("broken: é");
  });

  it("answers a redirect as it is, never following it", async () => {
    const res = await adapter.fetch(`${base}/redirect`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/echo");
  });

  it("rejects when the signal aborts, and on a refused connection", async () => {
    const controller = new AbortController();
    const pending = adapter.fetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await expect(pending).rejects.toThrow("stop");
    const refused = await adapter.fetch("http://127.0.0.1:1/").then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(refused!.code).toBe("ECONNREFUSED");
  });

  it("keeps many requests apart", async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => adapter.fetch(`${base}/echo?n=${i}`).then((r) => r.json!())),
    );
    expect(answers.map((a) => (a as { path: string }).path)).toEqual(
      Array.from({ length: 50 }, (_, i) => `/echo?n=${i}`),
    );
  });
});

describe("createThreadFetch lifecycle", () => {
  it("rejects calls after close(); closing twice is harmless", async () => {
    const adapter = createThreadFetch();
    expect((await adapter.fetch(`${base}/echo`)).status).toBe(201);
    await adapter.close();
    await expect(adapter.fetch(`${base}/echo`)).rejects.toThrow(/closed/);
    await adapter.close(); // twice is harmless
  });
});
