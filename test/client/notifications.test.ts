/**
 * Issue 4, on-device notifications through the public TargetClient against a real Delivery API
 * stand-in: batching across calls, exactly-once delivery of every event token, at most one request
 * in flight, close() flushing, and the closed state.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions } from "../../src/index";
import { anArtifact } from "../../src/testing/index";
import { json, startStub, type StubServer, type Hit } from "../remote/stub-server";
import {
  CLIENT,
  ORG,
  deliveryAnswer,
  isPing,
  memoryLogger,
  notificationHits,
  rejectionOf,
  trackUnhandledRejections,
} from "./support";

trackUnhandledRejections();

const MBOXES = 100;
/** 100 mboxes, one single-experience A/B activity each: every call below yields its own event token. */
const artifact = (() => {
  const builder = anArtifact({ client: CLIENT, organizationId: ORG });
  for (let i = 0; i < MBOXES; i++) {
    builder.abActivity({ id: 5000 + i, name: `activity ${i}`, mbox: `mbox-${i}`, experiences: [{ name: "A", json: { i } }] });
  }
  return builder.build();
})();
const tokenOf = (i: number) => artifact.rules.mboxes![`mbox-${i}`]![0]!.consequence.options![0]!.eventToken as string;

let stub: StubServer | undefined;
const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stub?.close();
  stub = undefined;
});

/** Tracks the number of notification requests open at the stand-in at the same time. */
function notificationConcurrency(s: StubServer, delayMs = 5) {
  const state = { active: 0, max: 0 };
  s.setHandler((hit, res) => {
    if (!Array.isArray(hit.json?.notifications)) return json(res, 200, deliveryAnswer(hit));
    state.active++;
    state.max = Math.max(state.max, state.active);
    setTimeout(() => {
      state.active--;
      json(res, 200, { status: 200, requestId: hit.json.requestId, id: hit.json.id });
    }, delayMs);
  });
  return state;
}

async function onDevice(extra: Partial<ClientOptions> = {}): Promise<TargetClient> {
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    pollingInterval: 0,
    serverDomain: stub!.hostPort,
    secure: false,
    logger: memoryLogger().logger,
    ...extra,
  });
  clients.push(client);
  await client.ready({ timeout: 2000 });
  return client;
}

const tokensIn = (hits: Hit[]) => hits.flatMap((h) => h.json.notifications.flatMap((n: any) => n.tokens ?? []));

describe("batched on-device notifications", () => {
  it("100 execute calls of one visitor (one page view) → ≤ 5 requests, every token exactly once, one in flight", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const concurrency = notificationConcurrency(stub);
    const client = await onDevice();
    const future = Math.ceil(Date.now() / 1000) + 1000;
    const targetCookie = `session#visit-1#${future}|PC#tnt-visitor-1#${future}`;
    const analytics = { supplementalDataId: "0123456789ABCDEF-0123456789ABCDEF" };

    const results = [];
    for (let i = 0; i < MBOXES; i++) {
      results.push(
        await client.getOffers({
          targetCookie,
          request: {
            context: { channel: "web", address: { url: "http://shop.example/" } },
            experienceCloud: { analytics },
            execute: { mboxes: [{ name: `mbox-${i}`, index: 1 }] },
          },
        }),
      );
    }
    expect(results.every((r) => r.meta.decisioningMethod === "on-device")).toBe(true);
    await client.flush();

    const sent = notificationHits(stub.hits);
    expect(sent.length).toBeGreaterThanOrEqual(2); // batchSize 50
    expect(sent.length).toBeLessThanOrEqual(5);
    const tokens = tokensIn(sent);
    expect(tokens).toHaveLength(MBOXES);
    expect(new Set(tokens)).toEqual(new Set(Array.from({ length: MBOXES }, (_, i) => tokenOf(i))));
    const ids = sent.flatMap((h) => h.json.notifications.map((n: any) => n.id));
    expect(new Set(ids).size).toBe(MBOXES);
    for (const hit of sent) {
      expect(hit.query.get("sessionId")).toBe("visit-1");
      expect(hit.json.id).toEqual({ tntId: "tnt-visitor-1" });
      expect(hit.json.notifications.length).toBeLessThanOrEqual(50);
      expect(hit.json.notifications.every((n: any) => n.type === "display" && typeof n.timestamp === "number")).toBe(true);
    }
    expect(concurrency.max).toBe(1);
    expect(client.status().notifications).toMatchObject({ queued: 0, inFlight: 0, failed: 0, sentNotifications: MBOXES });
  });

  it("100 identical execute calls with no cookie, session or SDID batch into a handful of requests; every token once", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const concurrency = notificationConcurrency(stub);
    const client = await onDevice();
    for (let i = 0; i < MBOXES; i++) {
      await client.getOffers({
        request: { id: { tntId: "tnt-2" }, context: { channel: "web" }, execute: { mboxes: [{ name: `mbox-${i}`, index: 1 }] } },
      });
    }
    await client.flush();
    const sent = notificationHits(stub.hits);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(tokensIn(sent).sort()).toEqual(Array.from({ length: MBOXES }, (_, i) => tokenOf(i)).sort());
    expect(concurrency.max).toBe(1);
  });

  it("calls with their own SDIDs keep each impression with the SDID of its own call (A4T)", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = await onDevice();
    const sdidOfToken = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const supplementalDataId = `SDID${String(i).padStart(12, "0")}-0000000000000000`;
      await client.getOffers({
        sessionId: "visit-2",
        request: {
          id: { tntId: "tnt-2" },
          experienceCloud: { analytics: { supplementalDataId } },
          execute: { mboxes: [{ name: `mbox-${i}`, index: 1 }] },
        },
      });
      sdidOfToken.set(tokenOf(i), supplementalDataId);
    }
    await client.flush();
    const sent = notificationHits(stub.hits);
    expect(tokensIn(sent).sort()).toEqual([...sdidOfToken.keys()].sort());
    for (const hit of sent) {
      for (const token of hit.json.notifications.flatMap((n: any) => n.tokens)) {
        expect(hit.json.experienceCloud.analytics.supplementalDataId).toBe(sdidOfToken.get(token));
      }
    }
  });
});

describe("on-device cookies", () => {
  it("the targetCookie of one call, passed to the next, keeps the session id and the generated tntId (PC)", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = await onDevice();
    const request = { execute: { mboxes: [{ name: "mbox-1", index: 1 }] } };
    const first = await client.getOffers({ request });
    const tntId = first.response.id!.tntId!;
    expect(tntId).toMatch(/^[0-9a-f]{32}$/);
    const session = /^session#([^#]+)#/.exec(first.targetCookie!.value)![1]!;
    expect(first.targetCookie!.value).toContain(`|PC#${tntId}#`);

    const second = await client.getOffers({ request, targetCookie: first.targetCookie!.value });
    expect(second.request.id).toEqual({ tntId });
    expect(second.response.id!.tntId).toBe(tntId);
    const entries = second.targetCookie!.value.split("|").map((e) => e.split("#").slice(0, 2).join("#"));
    expect(entries).toEqual([`session#${session}`, `PC#${tntId}`]);
    await client.flush();
    const sent = notificationHits(stub.hits);
    expect(sent.map((h) => h.query.get("sessionId"))).toEqual(sent.map(() => session));
    expect(sent.map((h) => h.json.id.tntId)).toEqual(sent.map(() => tntId));
  });
});

describe("close()", () => {
  it("flushes notifications enqueued right before it, is idempotent, and later calls reject with ODE_ERR_CLOSED", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    // A flush interval far beyond the test: only close() can send them.
    const client = await onDevice({ notificationFlushInterval: 600_000 });
    const request = (i: number) => ({ id: { tntId: "tnt-3" }, execute: { mboxes: [{ name: `mbox-${i}`, index: 1 }] } });
    await Promise.all([0, 1, 2].map((i) => client.getOffers({ sessionId: "visit-3", request: request(i) })));
    expect(notificationHits(stub.hits)).toHaveLength(0);

    const first = client.close();
    const second = client.close();
    await Promise.all([first, second]);
    expect(tokensIn(notificationHits(stub.hits)).sort()).toEqual([tokenOf(0), tokenOf(1), tokenOf(2)].sort());
    const hitsAfterClose = stub.hits.length;
    await client.close();
    expect(stub.hits.length).toBe(hitsAfterClose);

    expect((await rejectionOf(client.getOffers({ request: request(4) }))).code).toBe("ODE_ERR_CLOSED");
    expect((await rejectionOf(client.ready({ timeout: 100 }))).code).toBe("ODE_ERR_CLOSED");
    expect(
      (await rejectionOf(client.sendNotifications({ request: { notifications: [{ id: "n1", type: "display", timestamp: 1 }] } }))).code,
    ).toBe("ODE_ERR_CLOSED");
    expect(client.status()).toMatchObject({ closed: true, notifications: { queued: 0 } });
    expect(stub.hits.length).toBe(hitsAfterClose);
  });

  it("returns promptly (default undici stack) even when a notification send timed out against a stand-in that never answers", async () => {
    stub = await startStub((hit, res) => (hit.json?.notifications ? undefined : json(res, 200, deliveryAnswer(hit))));
    const client = await onDevice({ timeout: 200, notificationRetries: 0 });
    const errors: any[] = [];
    client.on("sendNotificationError", (e) => errors.push(e));
    await client.getOffers({ request: { execute: { mboxes: [{ name: "mbox-1", index: 1 }] } } });
    await client.flush();
    expect(errors.map((e) => e.error.cause?.code)).toEqual(["ODE_ERR_TIMEOUT"]);
    const started = Date.now();
    const closed = await Promise.race([client.close().then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
    if (!closed) {
      // Release the hung request so the cleanup does not wait for undici's 30 s headersTimeout.
      await stub.close();
      stub = undefined;
    }
    expect(closed, "close() did not resolve within 2 s").toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("sendNotifications delivers through the stand-in; a failing send rejects with a coded error and emits sendNotificationError", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = await onDevice({ notificationRetries: 0 });
    const errors: any[] = [];
    client.on("sendNotificationError", (e) => errors.push(e));
    const notification = { id: "click-1", type: "click" as const, timestamp: Date.now(), tokens: ["metric-token"], mbox: { name: "mbox-1" } };
    const result = await client.sendNotifications({ sessionId: "visit-4", request: { id: { tntId: "tnt-4" }, notifications: [notification] } });
    expect(result.meta.decisioningMethod).toBe("server-side");
    const hit = notificationHits(stub.hits).find((h) => !isPing(h))!;
    expect(hit.query.get("sessionId")).toBe("visit-4");
    expect(hit.json.notifications).toEqual([notification]);

    stub.setHandler((_hit, res) => json(res, 400, { message: "bad" }));
    await expect(
      client.sendNotifications({ sessionId: "visit-4", request: { notifications: [{ ...notification, id: "click-2" }] } }),
    ).rejects.toMatchObject({ code: "ODE_ERR_NOTIFICATION_FAILED", status: 400 });
    expect(errors).toHaveLength(1);
    expect(errors[0].error.code).toBe("ODE_ERR_NOTIFICATION_FAILED");
    expect(errors[0].error.status).toBe(400);
    expect(errors[0].notification.request.notifications[0].id).toBe("click-2");
  });
});
