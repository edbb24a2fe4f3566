/**
 * The edge entry inside workerd (Cloudflare's runtime, started through miniflare without the
 * nodejs_compat flag, so any Node API use fails): the conformance suites decided as in Node, the
 * Cloudflare example answering the Delivery API from a KV artifact, notifications through
 * ctx.waitUntil after the response, revalidation on request.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare as MiniflareType } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRunnableBundle } from "../../scripts/edge-bundle";
import type { KvNamespaceLike } from "../../src/edge";
import { TargetClient as NodeTargetClient } from "../../src/index";
import { conformanceCases, expectConformance, normalizeOutcome } from "../support/conformance-cases";
import { runtimeGate } from "../support/runtimes";
import { loadArtifact } from "../support/shared";
import { runConformanceCase } from "./fixtures/conformance-runner";
import { deliveryRequest, nodeDecision, type CapturedCall } from "./support";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const gate = runtimeGate("workerd");

/**
 * The internet as the worker sees it: every outbound fetch lands here. Adobe's edge answers after
 * `delayMs`; artifacts.example.test serves an artifact with an ETag (304 when it matches).
 */
function edgeStub(delayMs: number, artifact: unknown) {
  const calls: (CapturedCall & { answeredAt?: number; ifNoneMatch?: string | null })[] = [];
  const handler = async (request: Request): Promise<Response> => {
    if (new URL(request.url).hostname === "artifacts.example.test") {
      const ifNoneMatch = request.headers.get("if-none-match");
      calls.push({ method: request.method, url: request.url, body: undefined, receivedAt: Date.now(), ifNoneMatch });
      if (ifNoneMatch === '"w1"') return new Response(null, { status: 304, headers: { etag: '"w1"' } });
      return Response.json(artifact, { headers: { etag: '"w1"' } });
    }
    const call: CapturedCall & { answeredAt?: number } = {
      method: request.method,
      url: request.url,
      body: request.method === "POST" ? await request.json() : undefined,
      receivedAt: Date.now(),
    };
    calls.push(call);
    await new Promise((r) => setTimeout(r, delayMs));
    call.answeredAt = Date.now();
    return Response.json({ status: 200 });
  };
  return { calls, handler };
}

/** The KV namespace the worker reads, as seen from the test (miniflare's proxy). */
async function kvOf(mf: MiniflareType): Promise<KvNamespaceLike> {
  return (await mf.getKVNamespace("TARGET_ARTIFACTS")) as unknown as KvNamespaceLike;
}

describe.skipIf(gate.skip)("edge entry in workerd (miniflare)", () => {
  let mf: MiniflareType;
  const ab = loadArtifact("TEST_ARTIFACT_AB_SIMPLE");
  const stub = edgeStub(400, ab);

  beforeAll(async () => {
    const { Miniflare } = await import("miniflare");
    const script = await buildRunnableBundle({ entry: path.join(HERE, "fixtures/worker.ts") });
    mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: "2026-04-20",
      kvNamespaces: ["TARGET_ARTIFACTS"],
      bindings: { TARGET_CLIENT: "someClientId", TARGET_ORGANIZATION_ID: "someOrgId" },
      outboundService: stub.handler as never,
    });
    await (await kvOf(mf)).put("rules.json", JSON.stringify(ab));
  }, 60_000);

  afterAll(async () => {
    await mf?.dispose();
  });

  it("decides every conformance case exactly as Node does", async () => {
    const cases = conformanceCases();
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) {
      const input = { ...c.input, now: Date.now() };
      const res = await mf.dispatchFetch("http://worker/__conformance", { method: "POST", body: JSON.stringify(input) });
      expect(res.status, c.name).toBe(200);
      const edge = (await res.json()) as any;
      expectConformance(c, edge);
      const node = JSON.parse(JSON.stringify(await runConformanceCase(NodeTargetClient, input)));
      expect(normalizeOutcome(edge), c.name).toEqual(normalizeOutcome(node));
    }
  });

  it("answers a Delivery API request from the KV artifact; the notification leaves through waitUntil after the response", async () => {
    const before = stub.calls.length;
    const body = deliveryRequest({ execute: { mboxes: [{ name: "mbox-magician", index: 1 }] }, tntId: "338e3c1e51f7416a8e1ccba4f81acea0.28_0" });
    const res = await mf.dispatchFetch("http://worker/rest/v1/delivery?client=someClientId&sessionId=s-1", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const respondedAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-odd-decisioning-method")).toBe("on-device");
    const response = (await res.json()) as any;
    expect(response.execute.mboxes[0].options[0].content).toEqual({ doMagic: true, importantValue: 150 });
    const node = await nodeDecision(NodeTargetClient, ab, body, "s-1");
    expect(normalizeOutcome(response)).toEqual(normalizeOutcome(node));

    // The display notification reaches Adobe's edge (cluster 28 from the tntId), after the answer.
    await expect.poll(() => stub.calls.slice(before).find((c) => c.answeredAt !== undefined), { timeout: 5000 }).toBeTruthy();
    const sent = stub.calls.slice(before).find((c) => c.method === "POST")!;
    const url = new URL(sent.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://mboxedge28.tt.omtrdc.net/rest/v1/delivery");
    expect(url.searchParams.get("sessionId")).toBe("s-1");
    expect(sent.body.notifications).toHaveLength(1);
    expect(sent.body.notifications[0]).toMatchObject({ type: "display", mbox: { name: "mbox-magician" } });
    expect(respondedAt).toBeLessThan(sent.answeredAt!);
  });

  it("forwards notification-only requests without waiting for their delivery", async () => {
    const before = stub.calls.length;
    const body = {
      id: { tntId: "338e3c1e51f7416a8e1ccba4f81acea0.28_0" },
      context: { channel: "web" },
      notifications: [{ id: "n-1", type: "click", timestamp: Date.now(), mbox: { name: "mbox-magician" }, tokens: ["t"] }],
    };
    const res = await mf.dispatchFetch("http://worker/rest/v1/delivery?client=someClientId", {
      method: "POST",
      body: JSON.stringify(body),
    });
    const respondedAt = Date.now();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 200, client: "someClientId" });
    await expect.poll(() => stub.calls.slice(before).find((c) => c.answeredAt !== undefined), { timeout: 5000 }).toBeTruthy();
    const sent = stub.calls.slice(before)[0]!;
    expect(sent.body.notifications[0]).toMatchObject({ id: "n-1", type: "click" });
    expect(respondedAt).toBeLessThan(sent.answeredAt!);
  });

  it("refuses bad input with coded 4xx answers", async () => {
    const post = (url: string, body: string) => mf.dispatchFetch(`http://worker${url}`, { method: "POST", body });
    const notJson = await post("/rest/v1/delivery", "{");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: "ODE_ERR_INVALID_REQUEST" });
    const otherClient = await post("/rest/v1/delivery?client=other", "{}");
    expect(otherClient.status).toBe(400);
    const tooLarge = await post("/rest/v1/delivery", JSON.stringify({ pad: "x".repeat(1024 * 1024 + 1) }));
    expect(tooLarge.status).toBe(413);
    const get = await mf.dispatchFetch("http://worker/rest/v1/delivery");
    expect(get.status).toBe(405);
  });

  it("compiles the artifact once per isolate and revalidates it on a request once older than pollingInterval", async () => {
    const kv = await kvOf(mf);
    const first = { ...ab, meta: { ...(ab.meta ?? {}), generatedAt: "2026-01-01T00:00:00Z" } };
    await kv.put("fresh.json", JSON.stringify(first));
    const decide = async () => {
      const res = await mf.dispatchFetch("http://worker/__fresh/rest/v1/delivery", {
        method: "POST",
        body: JSON.stringify(deliveryRequest({ prefetch: { mboxes: [{ name: "mbox-magician", index: 1 }] } })),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return res.headers.get("x-odd-artifact-version");
    };
    expect(await decide()).toBe(encodeURIComponent(first.version));
    const second = { ...first, version: "1.0.1" };
    await kv.put("fresh.json", JSON.stringify(second));
    // Within pollingInterval: the compiled artifact is reused, KV is not read again.
    expect(await decide()).toBe(encodeURIComponent(first.version));
    await new Promise((r) => setTimeout(r, 1100));
    // Stale: this call is answered from the artifact in use and revalidates in the background...
    expect(await decide()).toBe(encodeURIComponent(first.version));
    // ...so a later call decides with the new one.
    await expect.poll(decide, { timeout: 5000, interval: 100 }).toBe("1.0.1");
  });

  for (const storage of ["kv", "cache"]) {
    it(`starts a new client from the warm-start cache in ${storage === "kv" ? "KV" : "the Cache API"} and revalidates it with its ETag`, async () => {
      const warm = async () => {
        const res = await mf.dispatchFetch(`http://worker/__warm?storage=${storage}`);
        expect(res.status).toBe(200);
        return (await res.json()) as { source: string; version: string };
      };
      const downloads = () => stub.calls.filter((c) => c.url.endsWith(`storage=${storage}`));
      expect(await warm()).toEqual({ source: "http", version: ab.version });
      expect(downloads().map((c) => c.ifNoneMatch)).toEqual([null]);
      // A new client (as in a new isolate) answers from the cache, then revalidates in waitUntil.
      expect(await warm()).toEqual({ source: "cache", version: ab.version });
      await expect.poll(() => downloads().map((c) => c.ifNoneMatch), { timeout: 5000 }).toEqual([null, '"w1"']);
    });
  }
});
