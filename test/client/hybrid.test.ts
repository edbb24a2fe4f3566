/**
 * Issue 4, hybrid decisioning through the public TargetClient: split-and-merge with exactly one
 * remote call carrying only the remote mbox, the local answer when the stand-in is down or too slow
 * (206, blank entries, meta.remoteError within the timeout), and hybridMode "whole".
 */
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions } from "../../src/index";
import { closedPort, json, startStub, type StubServer } from "../remote/stub-server";
import {
  CLIENT,
  ORG,
  deliveryAnswer,
  hybridArtifact,
  isPing,
  memoryLogger,
  nonPing,
  recordingFetch,
  trackUnhandledRejections,
} from "./support";

trackUnhandledRejections();

let stub: StubServer | undefined;
const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stub?.close();
  stub = undefined;
});

async function hybridClient(serverDomain: string, extra: Partial<ClientOptions> = {}): Promise<TargetClient> {
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    decisioningMethod: "hybrid",
    artifactPayload: hybridArtifact(),
    pollingInterval: 0,
    serverDomain,
    secure: false,
    logger: memoryLogger().logger,
    ...extra,
  });
  clients.push(client);
  await client.ready({ timeout: 2000 });
  return client;
}

/** remote-one first, so request order differs from "local first, then remote". */
const mixedRequest = () => ({
  id: { tntId: "visitor-1" },
  context: { channel: "web" as const, address: { url: "http://shop.example/" } },
  execute: {
    mboxes: [
      { name: "remote-one", index: 1, parameters: { a: "1" } },
      { name: "local-one", index: 2 },
    ],
  },
});

const waitForPing = async (s: StubServer) => {
  const until = Date.now() + 2000;
  while (!(s.hits.some(isPing) && s.active === 0)) {
    if (Date.now() > until) throw new Error("no ping");
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe("hybrid split and merge", () => {
  for (const transport of ["default undici", "fetchApi wrapper"] as const) {
    it(`one local + one remote mbox → exactly one remote call with only the remote mbox, merged in request order (${transport})`, async () => {
      stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
      const fetchApi = transport === "fetchApi wrapper" ? recordingFetch() : undefined;
      const client = await hybridClient(stub.hostPort, fetchApi ? { fetchApi } : {});
      await waitForPing(stub); // the start-up location-hint ping (no targetLocationHint configured)
      expect(stub.hits.filter(isPing)).toHaveLength(1);

      const result = await client.getOffers({ sessionId: "s-1", request: mixedRequest() });

      const remote = nonPing(stub.hits);
      expect(remote).toHaveLength(1);
      expect(remote[0]!.query.get("sessionId")).toBe("s-1");
      expect(remote[0]!.json.execute).toEqual({ mboxes: [{ name: "remote-one", index: 1, parameters: { a: "1" } }] });
      expect(remote[0]!.json.prefetch).toBeUndefined();
      expect(remote[0]!.json.notifications).toBeUndefined();
      expect(remote[0]!.json.id).toEqual({ tntId: "visitor-1" });
      expect(remote[0]!.json.requestId).toBe(result.request.requestId);

      expect(result.response.status).toBe(200);
      const mboxes = result.response.execute!.mboxes!;
      expect(mboxes.map((m) => [m.name, m.index])).toEqual([
        ["remote-one", 1],
        ["local-one", 2],
      ]);
      expect(mboxes[0]!.options).toEqual([expect.objectContaining({ type: "json", content: { from: "remote", mbox: "remote-one" } })]);
      expect(mboxes[1]!.options).toEqual([expect.objectContaining({ type: "json", content: { from: "local" } })]);
      expect(result.meta).toMatchObject({ decisioningMethod: "hybrid", remoteMboxes: ["remote-one"], remoteViews: [] });
      expect(result.meta.remoteError).toBeUndefined();
      expect(result.meta.artifact).toMatchObject({ version: "1.0.0", source: "payload" });
      expect(result.request.execute!.mboxes).toHaveLength(2); // the whole normalised request is reported
      if (fetchApi) expect(fetchApi.calls.map((c) => new URL(c.url).host)).toEqual(stub.hits.map(() => stub!.hostPort));
    });
  }

  it("a hybrid request the artifact can decide alone makes no remote call", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = await hybridClient(stub.hostPort);
    await waitForPing(stub);
    const result = await client.getOffers({ request: { execute: { mboxes: [{ name: "local-one", index: 1 }] } } });
    expect(result.meta.decisioningMethod).toBe("on-device");
    expect(result.response.execute!.mboxes![0]!.options![0]!.content).toEqual({ from: "local" });
    expect(nonPing(stub.hits).filter((h) => h.json.execute || h.json.prefetch)).toHaveLength(0);
  });
});

describe("hybrid split keeps what only the remote answer or the caller carries", () => {
  it("the caller's notifications ride on the remote call; the remote prefetch.metrics survive the merge", async () => {
    const metric = { type: "click", selector: "#buy", eventToken: "click-token" };
    stub = await startStub((hit, res) => {
      const answer: any = deliveryAnswer(hit);
      if (answer.prefetch) answer.prefetch.metrics = [metric];
      json(res, 200, answer);
    });
    const client = await hybridClient(stub.hostPort);
    await waitForPing(stub);
    const notification = { id: "n-1", type: "click" as const, timestamp: 1_700_000_000_000, tokens: ["t-1"], mbox: { name: "remote-one" } };
    const result = await client.getOffers({
      request: {
        execute: { mboxes: [{ name: "local-one", index: 1 }] },
        prefetch: { mboxes: [{ name: "remote-one", index: 1 }] },
        notifications: [notification],
      },
    });
    const remote = nonPing(stub.hits).filter((h) => h.json.prefetch);
    expect(remote).toHaveLength(1);
    expect(remote[0]!.json.execute).toBeUndefined();
    expect(remote[0]!.json.notifications).toEqual([notification]);
    expect((result.response.prefetch as { metrics?: unknown }).metrics).toEqual([metric]);
    expect(result.response.prefetch!.mboxes!.map((m) => m.name)).toEqual(["remote-one"]);
    expect(result.response.execute!.mboxes!.map((m) => m.name)).toEqual(["local-one"]);
  });
});

describe("hybrid when the remote part fails", () => {
  const expectLocalOnly = (result: Awaited<ReturnType<TargetClient["getOffers"]>>) => {
    expect(result.response.status).toBe(206);
    expect(result.response.execute!.mboxes).toEqual([
      { name: "remote-one", index: 1 },
      expect.objectContaining({ name: "local-one", index: 2, options: [expect.objectContaining({ content: { from: "local" } })] }),
    ]);
    expect(result.meta.decisioningMethod).toBe("hybrid");
    expect(result.meta.remoteMboxes).toEqual(["remote-one"]);
  };

  it("stand-in down (closed port): local decision, 206, blank remote entry, ODE_ERR_NETWORK within the timeout", async () => {
    const timeout = 1500;
    // notificationRetries 0: close() then gives up on the impression at once instead of retrying against a dead host
    const client = await hybridClient(`127.0.0.1:${await closedPort()}`, { timeout, notificationRetries: 0 });
    const started = Date.now();
    const result = await client.getOffers({ request: mixedRequest() });
    expect(Date.now() - started).toBeLessThan(timeout + 500);
    expectLocalOnly(result);
    expect(result.meta.remoteError?.code).toBe("ODE_ERR_NETWORK");
  });

  it("stand-in slower than `timeout`: local decision, 206, blank remote entry, ODE_ERR_TIMEOUT within the timeout", async () => {
    // Decisions (and the ping) are slow; notifications are answered at once (close() is covered in notifications.test.ts).
    stub = await startStub((hit, res) => {
      if (hit.json?.notifications) return json(res, 200, deliveryAnswer(hit));
      const t = setTimeout(() => json(res, 200, deliveryAnswer(hit)), 3000);
      res.on("close", () => clearTimeout(t));
    });
    const timeout = 300;
    const client = await hybridClient(stub.hostPort, { timeout, notificationRetries: 0 });
    const started = Date.now();
    const result = await client.getOffers({ request: mixedRequest() });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(timeout - 20);
    expect(elapsed).toBeLessThan(timeout + 500);
    expectLocalOnly(result);
    expect(result.meta.remoteError).toMatchObject({ code: "ODE_ERR_TIMEOUT", message: "Request timed out" });
  });

  it("stand-in answering 503: the error is coded with its status", async () => {
    // decisions answer 503; the ping and notifications succeed
    stub = await startStub((hit, res) => (hit.json?.execute ? json(res, 503, {}) : json(res, 200, deliveryAnswer(hit))));
    const client = await hybridClient(stub.hostPort, { retries: 1 });
    await waitForPing(stub);
    const result = await client.getOffers({ request: mixedRequest() });
    expectLocalOnly(result);
    expect(result.meta.remoteError).toMatchObject({ code: "ODE_ERR_HTTP_STATUS", status: 503 });
    expect(nonPing(stub.hits).filter((h) => h.json.execute)).toHaveLength(2);
  });
});

describe('hybridMode "whole"', () => {
  it("sends the whole request remotely as soon as one mbox needs it (reference behaviour)", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = await hybridClient(stub.hostPort, { hybridMode: "whole" });
    await waitForPing(stub);
    const result = await client.getOffers({ request: mixedRequest() });
    const remote = nonPing(stub.hits);
    expect(remote).toHaveLength(1);
    expect(remote[0]!.json.execute.mboxes.map((m: any) => m.name)).toEqual(["remote-one", "local-one"]);
    expect(result.meta).toMatchObject({ decisioningMethod: "server-side", remoteMboxes: ["remote-one"], remoteViews: [] });
    expect(result.response.execute!.mboxes!.every((m) => (m.options![0]!.content as any).from === "remote")).toBe(true);
  });
});
