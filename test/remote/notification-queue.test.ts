import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryRequest, Notification, TelemetryEntry } from "../../src/protocol/delivery";
import { DecisioningError } from "../../src/errors";
import { systemScheduler } from "../../src/platform/scheduler";
import { ManualScheduler } from "../support/manual-scheduler";
import { createDeliveryClient } from "../../src/remote/delivery-client";
import { createNotificationQueue, type NotificationQueueOptions } from "../../src/remote/notification-queue";
import { delay, fetch, json, recordingLogger, startStub, waitFor, type StubServer } from "./stub-server";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

const visitor = (n: number) => ({
  id: { tntId: `tnt-${n}` },
  context: { channel: "web", address: { url: `https://example.com/${n}` } },
  experienceCloud: { analytics: { logging: "server_side" } },
});

let seq = 0;
function display(token = `tok-${++seq}`): Notification {
  return { id: `n-${token}`, impressionId: `i-${token}`, type: "display", timestamp: 1000 + seq, mbox: { name: "hero" }, tokens: [token] };
}

interface Sent {
  request: DeliveryRequest;
  sessionId?: string;
}

/** A queue on a ManualScheduler whose sends are recorded and resolved/rejected by the test. */
function manualQueue(extra: Partial<NotificationQueueOptions> = {}) {
  const scheduler = new ManualScheduler(0);
  const sent: Sent[] = [];
  const errors: { err: DecisioningError; payload: DeliveryRequest }[] = [];
  let behaviour: (s: Sent) => Promise<void> = async () => {};
  const { logger, lines } = recordingLogger();
  const queue = createNotificationQueue({
    scheduler,
    logger,
    send: (batch) => {
      sent.push(batch);
      return behaviour(batch);
    },
    onError: (err, payload) => errors.push({ err, payload }),
    ...extra,
  });
  return { queue, scheduler, sent, errors, lines, setBehaviour: (b: (s: Sent) => Promise<void>) => (behaviour = b) };
}

const tokensOf = (sent: Sent[]) => sent.flatMap((s) => (s.request.notifications ?? []).flatMap((n) => n.tokens ?? []));

describe("notification queue timing (ManualScheduler)", () => {
  it("arms the flush timer when the first item arrives and sends when it fires", async () => {
    const { queue, scheduler, sent } = manualQueue();
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    expect(scheduler.pendingDelays()).toEqual([250]);
    await scheduler.advance(249);
    expect(sent).toHaveLength(0);
    await scheduler.advance(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.notifications).toHaveLength(2);
    expect(queue.stats()).toMatchObject({ sent: 1, sentNotifications: 2, queued: 0, inFlight: 0 });
    expect(scheduler.pending).toBe(0);
  });

  it("sends at once when a group reaches batchSize", async () => {
    const { queue, scheduler, sent } = manualQueue({ batchSize: 3 });
    for (let i = 0; i < 4; i++) queue.enqueue({ request: visitor(1), notifications: [display()] });
    await scheduler.advance(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.notifications).toHaveLength(3);
    expect(queue.size).toBe(1);
    await scheduler.advance(250);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.request.notifications).toHaveLength(1);
  });

  it("keeps at most one request in flight; the rest waits", async () => {
    const { queue, scheduler, sent, setBehaviour } = manualQueue({ batchSize: 2 });
    const releases: (() => void)[] = [];
    setBehaviour(() => new Promise<void>((resolve) => releases.push(resolve)));
    for (let i = 0; i < 6; i++) queue.enqueue({ request: visitor(1), notifications: [display()] });
    await scheduler.advance(0);
    expect(sent).toHaveLength(1);
    expect(queue.stats().inFlight).toBe(1);
    releases[0]!();
    await scheduler.advance(0);
    expect(sent).toHaveLength(2);
    releases[1]!();
    await scheduler.advance(0);
    expect(sent).toHaveLength(3);
    releases[2]!();
    await scheduler.advance(0);
    expect(queue.stats()).toMatchObject({ sent: 3, inFlight: 0, queued: 0 });
  });

  it("retries a failed send with backoff, then calls onError once and drops the batch", async () => {
    const { queue, scheduler, sent, errors, setBehaviour } = manualQueue({
      retries: 2,
      backoff: { initialDelay: 100, jitter: false },
    });
    setBehaviour(() => Promise.reject(new Error("boom")));
    queue.enqueue({ request: visitor(1), notifications: [display("t1")] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(1);
    expect(scheduler.pendingDelays()).toEqual([100]);
    await scheduler.advance(100);
    expect(sent).toHaveLength(2);
    expect(scheduler.pendingDelays()).toEqual([200]);
    await scheduler.advance(200);
    expect(sent).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.err.code).toBe("ODE_ERR_NOTIFICATION_FAILED");
    expect((errors[0]!.err.cause as Error).message).toBe("boom");
    expect(errors[0]!.payload.notifications![0]!.tokens).toEqual(["t1"]);
    expect(queue.stats()).toMatchObject({ sent: 0, failed: 1, failedNotifications: 1, queued: 0 });
    await scheduler.advance(10_000);
    expect(sent).toHaveLength(3);
  });

  it("does not retry a non-recoverable DecisioningError and survives a throwing send and onError", async () => {
    const { logger } = recordingLogger();
    const scheduler = new ManualScheduler(0);
    let calls = 0;
    const queue = createNotificationQueue({
      scheduler,
      logger,
      send: () => {
        calls++;
        if (calls === 1) throw new DecisioningError("ODE_ERR_HTTP_STATUS", "400", { status: 400, recoverable: false });
        throw new Error("sync throw");
      },
      retries: 1,
      backoff: { jitter: false },
      onError: () => {
        throw new Error("listener bug");
      },
    });
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    await queue.flush();
    expect(calls).toBe(1);
    queue.enqueue({ request: visitor(2), notifications: [display()] });
    const flushed = queue.flush();
    await scheduler.advance(100);
    await flushed;
    expect(calls).toBe(3);
    expect(queue.stats().failed).toBe(2);
  });

  it("groups by visitor identity and session, keeps notifications unmerged", async () => {
    const { queue, scheduler, sent } = manualQueue();
    const a1 = display("a1");
    const a2 = { ...display("a2"), mbox: { name: "hero" } };
    queue.enqueue({ request: visitor(1), sessionId: "s1", notifications: [a1] });
    queue.enqueue({ request: visitor(2), sessionId: "s1", notifications: [display("b1")] });
    queue.enqueue({ request: visitor(1), sessionId: "s1", notifications: [a2] });
    queue.enqueue({ request: visitor(1), sessionId: "s2", notifications: [display("c1")] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(3);
    const first = sent.find((s) => s.request.id?.tntId === "tnt-1" && s.sessionId === "s1")!;
    expect(first.request).toEqual({ ...visitor(1), notifications: [a1, a2] });
    expect(first.request.notifications![0]!.id).not.toBe(first.request.notifications![1]!.id);
    expect(sent.find((s) => s.request.id?.tntId === "tnt-2")!.request.context).toEqual(visitor(2).context);
    expect(sent.find((s) => s.sessionId === "s2")!.request.notifications!.map((n) => n.tokens![0])).toEqual(["c1"]);
  });

  it("does not mutate the caller's request parts and groups by their content at enqueue time", async () => {
    const { queue, scheduler, sent } = manualQueue();
    const v = visitor(1);
    const before = structuredClone(v);
    queue.enqueue({ request: v, notifications: [display()] });
    queue.enqueue({ request: structuredClone(v), notifications: [display()] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.notifications).toHaveLength(2);
    expect(sent[0]!.request.context).toEqual(before.context);
    expect(sent[0]!.request).not.toHaveProperty("telemetry");
    expect(v).toEqual(before);
  });

  it("with concurrency 3 keeps up to three requests in flight", async () => {
    const { queue, scheduler, sent, setBehaviour } = manualQueue({ concurrency: 3 });
    const releases: (() => void)[] = [];
    setBehaviour(() => new Promise<void>((r) => releases.push(r)));
    for (let i = 1; i <= 5; i++) queue.enqueue({ request: visitor(i), notifications: [display()] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(3);
    expect(queue.stats().inFlight).toBe(3);
    releases.splice(0).forEach((r) => r());
    await scheduler.advance(0);
    expect(sent).toHaveLength(5);
    releases.splice(0).forEach((r) => r());
    await queue.flush();
    expect(queue.stats().inFlight).toBe(0);
  });

  it("drops the oldest notifications beyond maxQueued, with a warning and a count", async () => {
    const { queue, scheduler, sent, lines } = manualQueue({ maxQueued: 5, batchSize: 100 });
    for (let i = 0; i < 8; i++) queue.enqueue({ request: visitor(1), notifications: [display(`d${i}`)] });
    expect(queue.size).toBe(5);
    expect(queue.stats().dropped).toBe(3);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    await scheduler.advance(250);
    expect(tokensOf(sent)).toEqual(["d3", "d4", "d5", "d6", "d7"]);
  });

  it("flush() sends everything queued now and waits for the request in flight", async () => {
    const { queue, scheduler, sent, setBehaviour } = manualQueue({ batchSize: 2 });
    let release!: () => void;
    setBehaviour((s) => (s.request.notifications!.length === 2 && !release ? new Promise<void>((r) => (release = r)) : Promise.resolve()));
    queue.enqueue({ request: visitor(1), notifications: [display(), display()] });
    queue.enqueue({ request: visitor(2), notifications: [display()] });
    await scheduler.advance(0);
    expect(sent).toHaveLength(1);
    let flushed = false;
    const f = queue.flush().then(() => (flushed = true));
    await scheduler.advance(0);
    expect(flushed).toBe(false);
    release();
    await f;
    expect(sent).toHaveLength(2);
    expect(scheduler.pending).toBe(0); // flush cancelled the timer
  });

  it("close() flushes and then ignores new items with a debug log", async () => {
    const { queue, sent, lines } = manualQueue();
    queue.enqueue({ request: visitor(1), notifications: [display("x")] });
    await queue.close();
    expect(tokensOf(sent)).toEqual(["x"]);
    queue.enqueue({ request: visitor(1), notifications: [display("late")] });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    await queue.flush();
    expect(sent).toHaveLength(1);
    expect(queue.size).toBe(0);
    expect(lines.some((l) => l.level === "debug" && l.text.includes("closed"))).toBe(true);
    await expect(queue.close()).resolves.toBeUndefined();
  });
});

describe("notification queue telemetry", () => {
  const entry = (id: string): TelemetryEntry => ({ requestId: id, timestamp: 1, execution: 1, mode: "local" });

  it("sends a telemetry-only request without a notifications key", async () => {
    let pending = [entry("r1"), entry("r2")];
    const { queue, scheduler, sent } = manualQueue({
      takeTelemetry: () => {
        const out = pending;
        pending = [];
        return out;
      },
      telemetryEnabled: true,
    });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    await scheduler.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request).toEqual({ ...visitor(1), telemetry: { entries: [entry("r1"), entry("r2")] } });
    expect("notifications" in sent[0]!.request).toBe(false);
  });

  it("does not send a request with neither notifications nor telemetry entries", async () => {
    const { queue, scheduler, sent } = manualQueue({ takeTelemetry: () => [], telemetryEnabled: true });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    await scheduler.advance(250);
    expect(sent).toHaveLength(0);
    expect(queue.stats().sent).toBe(0);
  });

  it("ignores telemetry-only items when telemetry is disabled and never takes entries", async () => {
    let taken = 0;
    const { queue, scheduler, sent } = manualQueue({
      takeTelemetry: () => {
        taken++;
        return [entry("x")];
      },
      telemetryEnabled: false,
    });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    queue.enqueue({ request: visitor(2), notifications: [display()] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request).not.toHaveProperty("telemetry");
    expect(taken).toBe(0);
  });

  it("merges a telemetry-only item into the notification request of the same visitor", async () => {
    let pending = [entry("r1")];
    const { queue, scheduler, sent } = manualQueue({
      takeTelemetry: () => {
        const out = pending;
        pending = [];
        return out;
      },
    });
    queue.enqueue({ request: visitor(1), notifications: [display("a")] });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    queue.enqueueTelemetryOnly({ request: visitor(1) });
    await scheduler.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.telemetry).toEqual({ entries: [entry("r1")] });
    expect(tokensOf(sent)).toEqual(["a"]);
  });

  it("attaches pending entries to the next request only", async () => {
    let pending = [entry("r1")];
    const { queue, scheduler, sent } = manualQueue({
      takeTelemetry: () => {
        const out = pending;
        pending = [];
        return out;
      },
    });
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    queue.enqueue({ request: visitor(2), notifications: [display()] });
    await scheduler.advance(250);
    expect(sent).toHaveLength(2);
    expect(sent.filter((s) => s.request.telemetry)).toHaveLength(1);
  });
});

describe("notification queue against a Delivery API stand-in", () => {
  let stub: StubServer;
  afterEach(async () => {
    await stub?.close();
  });

  function realQueue(extra: Partial<NotificationQueueOptions> = {}) {
    const { logger } = recordingLogger(false);
    const delivery = createDeliveryClient({
      client: "acme",
      organizationId: "org",
      fetch,
      scheduler: systemScheduler,
      logger,
      secure: false,
      serverDomain: stub.hostPort,
      retries: 0,
    });
    const errors: DecisioningError[] = [];
    const queue = createNotificationQueue({
      scheduler: systemScheduler,
      logger,
      send: async ({ request, sessionId }) => {
        await delivery.deliver(request, { sessionId: sessionId ?? "fresh-session" });
      },
      onError: (err) => errors.push(err),
      flushInterval: 5,
      backoff: { initialDelay: 2, maxDelay: 5 },
      ...extra,
    });
    return { queue, errors };
  }

  it("batches 100 items of one visitor into a handful of requests, each token once, one in flight", async () => {
    stub = await startStub(async (_hit, res) => {
      await delay(15);
      res.writeHead(204);
      res.end();
    });
    const { queue } = realQueue({ batchSize: 10 });
    const tokens: string[] = [];
    for (let i = 0; i < 100; i++) {
      const n = display(`q${i}`);
      tokens.push(n.tokens![0]!);
      queue.enqueue({ request: visitor(7), sessionId: "s", notifications: [n] });
      if (i % 17 === 0) await delay(1); // arrivals spread over time, across getOffers calls
    }
    await queue.flush();
    expect(stub.hits.length).toBeLessThanOrEqual(Math.ceil(100 / 10) + 1);
    const received = stub.hits.flatMap((h) => h.json.notifications.flatMap((n: Notification) => n.tokens));
    expect(received.sort()).toEqual([...tokens].sort());
    expect(new Set(received).size).toBe(100);
    expect(stub.maxConcurrent).toBe(1);
    for (const h of stub.hits) {
      expect(h.json.id).toEqual({ tntId: "tnt-7" });
      expect(h.json.notifications.length).toBeLessThanOrEqual(10);
      expect(h.query.get("sessionId")).toBe("s");
    }
  });

  it("sends different visitors as separate requests", async () => {
    stub = await startStub((_hit, res) => json(res, 200, {}));
    const { queue } = realQueue();
    queue.enqueue({ request: visitor(1), notifications: [display("v1")] });
    queue.enqueue({ request: visitor(2), notifications: [display("v2")] });
    await waitFor(() => stub.hits.length === 2);
    const byTnt = Object.fromEntries(stub.hits.map((h) => [h.json.id.tntId, h.json.notifications.map((n: Notification) => n.tokens![0])]));
    expect(byTnt).toEqual({ "tnt-1": ["v1"], "tnt-2": ["v2"] });
    expect(stub.maxConcurrent).toBe(1);
  });

  it("close() flushes what is queued before resolving", async () => {
    stub = await startStub((_hit, res) => json(res, 200, {}));
    const { queue } = realQueue({ flushInterval: 60_000 });
    for (let i = 0; i < 3; i++) queue.enqueue({ request: visitor(1), notifications: [display(`c${i}`)] });
    expect(stub.hits).toHaveLength(0);
    await queue.close();
    expect(stub.hits).toHaveLength(1);
    expect(stub.hits[0]!.json.notifications).toHaveLength(3);
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    await delay(20);
    expect(stub.hits).toHaveLength(1);
  });

  it("retries failed deliveries, then reports through onError", async () => {
    stub = await startStub((_hit, res) => json(res, 503, { error: "down" }));
    const { queue, errors } = realQueue({ retries: 2 });
    queue.enqueue({ request: visitor(1), notifications: [display()] });
    await queue.flush();
    expect(stub.hits).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("ODE_ERR_NOTIFICATION_FAILED");
    expect(errors[0]!.status).toBe(503);
    expect((errors[0]!.cause as DecisioningError).code).toBe("ODE_ERR_HTTP_STATUS");
  });

  it("delivers after a transient failure", async () => {
    stub = await startStub((hit, res) => json(res, hit.index === 0 ? 502 : 200, {}));
    const { queue, errors } = realQueue({ retries: 2 });
    queue.enqueue({ request: visitor(1), notifications: [display("ok")] });
    await queue.flush();
    expect(stub.hits).toHaveLength(2);
    expect(errors).toHaveLength(0);
    expect(stub.hits[1]!.json.notifications[0].tokens).toEqual(["ok"]);
    expect(queue.stats()).toMatchObject({ sent: 1, failed: 0 });
  });
});
