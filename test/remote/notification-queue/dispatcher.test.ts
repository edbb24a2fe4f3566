import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../../src/errors";
import type { DeliveryRequest } from "../../../src/protocol/delivery";
import { resolveBackoff } from "../../../src/primitives/backoff";
import type { SealedBatch } from "../../../src/remote/notification-queue/buffer";
import { Dispatcher, type DispatcherOptions } from "../../../src/remote/notification-queue/dispatcher";
import { ManualScheduler } from "../../support/manual-scheduler";
import { recordingLogger } from "../stub-server";
import { note, quietBuffer } from "./support";

const badRequest = () =>
  new DecisioningError("ODE_ERR_HTTP_STATUS", "400", { status: 400, recoverable: false });

interface Attempt {
  token: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A dispatcher over a real buffer (batchSize 1: one sealed batch per token) whose sends stay
 * pending until the test resolves or rejects them.
 */
function dispatcher(extra: Partial<DispatcherOptions> = {}) {
  const scheduler = new ManualScheduler(0);
  const buffer = quietBuffer(1);
  const attempts: Attempt[] = [];
  const givenUp: { error: DecisioningError; request: DeliveryRequest }[] = [];
  const settled: { token: string | undefined; abandoned: boolean }[] = [];
  const d = new Dispatcher(buffer, {
    scheduler,
    logger: recordingLogger().logger,
    concurrency: 1,
    retry: {
      retries: 2,
      retryUntilDelivered: false,
      backoff: resolveBackoff(
        { initialDelay: 100, jitter: false },
        { initialDelay: 100, maxDelay: 2000, multiplier: 2, jitter: 0 },
      ),
    },
    send: ({ request }) =>
      new Promise<void>((resolve, reject) =>
        attempts.push({ token: request.notifications![0]!.tokens![0]!, resolve, reject }),
      ),
    requestFor: (batch) => ({ id: { tntId: "t" }, notifications: batch.notifications }),
    onGiveUp: (error, request) => givenUp.push({ error, request }),
    onSettled: (batch, abandoned) => settled.push({ token: batch.notifications[0]?.tokens?.[0], abandoned }),
    ...extra,
  });
  /** Seals one batch per token (sequence numbers 1, 2, ... in order). */
  const seal = (...tokens: string[]) => {
    for (const token of tokens) {
      const group = buffer.groupFor({ request: { id: { tntId: token } } })!;
      buffer.append(group, [note(token)]);
      buffer.seal(group, 1);
    }
  };
  return { d, buffer, scheduler, attempts, givenUp, settled, seal };
}

describe("Dispatcher concurrency", () => {
  it("keeps at most `concurrency` batches in flight and starts the next as one settles", async () => {
    const { d, buffer, scheduler, attempts, seal } = dispatcher({ concurrency: 2 });
    seal("a", "b", "c", "d");
    d.kick();
    await scheduler.advance(0);
    expect(attempts.map((a) => a.token)).toEqual(["a", "b"]);
    expect(d.inFlight).toBe(2);
    expect(buffer.sealedCount).toBe(2);
    attempts[1]!.resolve();
    await scheduler.advance(0);
    expect(attempts.map((a) => a.token)).toEqual(["a", "b", "c"]);
    expect(d.inFlight).toBe(2);
    attempts[0]!.resolve();
    attempts[2]!.resolve();
    await scheduler.advance(0);
    attempts[3]!.resolve();
    await scheduler.advance(0);
    expect(d.inFlight).toBe(0);
    expect(d.counts).toEqual({ sent: 4, failed: 0, sentNotifications: 4, failedNotifications: 0 });
  });

  it("while the upstream is down starts nothing new until a send succeeds", async () => {
    const { d, scheduler, attempts, seal } = dispatcher({
      concurrency: 2,
      retry: {
        retries: 0,
        retryUntilDelivered: true,
        backoff: resolveBackoff(
          { initialDelay: 100, jitter: false },
          { initialDelay: 100, maxDelay: 100, multiplier: 1, jitter: 0 },
        ),
      },
    });
    seal("a", "b", "c");
    d.kick();
    await scheduler.advance(0);
    attempts[0]!.reject(new Error("network")); // a: recoverable, retries after 100 ms
    await scheduler.advance(0);
    expect(d.upstreamDown).toBe(true);
    attempts[1]!.reject(badRequest()); // b: final, given up; its slot is not refilled while down
    await scheduler.advance(0);
    expect(d.inFlight).toBe(1);
    expect(attempts.map((a) => a.token)).toEqual(["a", "b"]);
    await scheduler.advance(100); // a's retry
    expect(attempts.map((a) => a.token)).toEqual(["a", "b", "a"]);
    attempts[2]!.resolve();
    await scheduler.advance(0);
    expect(d.upstreamDown).toBe(false);
    expect(attempts.map((a) => a.token)).toEqual(["a", "b", "a", "c"]);
  });
});

describe("Dispatcher retries and giving up", () => {
  it("retries with backoff, then gives up: reports once, marks the batch, settles it", async () => {
    const { d, scheduler, attempts, givenUp, settled, seal } = dispatcher();
    seal("a");
    d.kick();
    await scheduler.advance(0);
    attempts[0]!.reject(new Error("boom"));
    await scheduler.advance(0);
    expect(scheduler.pendingDelays()).toEqual([100]);
    await scheduler.advance(100);
    attempts[1]!.reject(new Error("boom"));
    await scheduler.advance(0);
    expect(scheduler.pendingDelays()).toEqual([200]);
    await scheduler.advance(200);
    attempts[2]!.reject(new Error("boom"));
    await scheduler.advance(0);
    expect(attempts).toHaveLength(3);
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0]!.error).toMatchObject({
      code: "ODE_ERR_NOTIFICATION_FAILED",
      details: { attempts: 3 },
    });
    expect(givenUp[0]!.request.notifications![0]!.tokens).toEqual(["a"]);
    expect(settled).toEqual([{ token: "a", abandoned: false }]);
    expect(d.counts).toMatchObject({ failed: 1, failedNotifications: 1, sent: 0 });
  });

  it("settles a batch with nothing worth a request without sending it", async () => {
    const { d, scheduler, attempts, settled, seal } = dispatcher({ requestFor: () => undefined });
    seal("a");
    d.kick();
    await scheduler.advance(0);
    expect(attempts).toHaveLength(0);
    expect(settled).toHaveLength(1);
    expect(d.counts.sent).toBe(0);
  });
});

describe("Dispatcher flush waits", () => {
  it("releases a waiter once every batch sealed before its sequence number settled", async () => {
    const { d, buffer, scheduler, attempts, seal } = dispatcher({ concurrency: 3 });
    seal("a");
    const done: string[] = [];
    void d.waitForSealedBefore(buffer.nextSeq).then(() => done.push("a"));
    seal("b", "c");
    void d.waitForSealedBefore(buffer.nextSeq).then(() => done.push("a, b, c"));
    await scheduler.advance(0);
    attempts[2]!.resolve(); // c
    await scheduler.advance(0);
    expect(done).toEqual([]);
    attempts[0]!.resolve(); // a
    await scheduler.advance(0);
    expect(done).toEqual(["a"]);
    attempts[1]!.resolve(); // b
    await scheduler.advance(0);
    expect(done).toEqual(["a", "a, b, c"]);
  });

  it("resolves at once when nothing sealed before it waits", async () => {
    const { d, buffer } = dispatcher();
    await expect(d.waitForSealedBefore(buffer.nextSeq)).resolves.toBeUndefined();
  });
});

describe("Dispatcher abandon", () => {
  it("hands over in-flight, retrying and sealed batches, releases waiters and sends nothing more", async () => {
    const { d, scheduler, attempts, settled, seal } = dispatcher({ concurrency: 1 });
    seal("a", "b");
    d.kick();
    await scheduler.advance(0);
    attempts[0]!.reject(new Error("down")); // a sleeps before its retry
    await scheduler.advance(0);
    const flushed = d.waitForSealedBefore(3);
    let handed: SealedBatch[] = [];
    d.abandon((left) => (handed = left));
    expect(d.abandoned).toBe(true);
    expect(handed.map((b) => b.notifications[0]!.tokens![0])).toEqual(["a", "b"]);
    expect(settled).toEqual([
      { token: "a", abandoned: true },
      { token: "b", abandoned: true },
    ]);
    await flushed;
    await scheduler.advance(10_000);
    expect(attempts).toHaveLength(1);
    expect(d.inFlight).toBe(0);
    d.kick();
    expect(attempts).toHaveLength(1);
  });

  it("wakes every batch sleeping before a retry, however many, and leaves no timer behind", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const { d, scheduler, attempts, seal } = dispatcher({ concurrency: 20 });
      const tokens = Array.from({ length: 20 }, (_, i) => `t${i}`);
      seal(...tokens);
      d.kick();
      await scheduler.advance(0);
      expect(attempts).toHaveLength(20);
      for (const attempt of attempts) attempt.reject(new Error("down")); // all 20 sleep before a retry
      await scheduler.advance(0);
      d.abandon(() => undefined);
      await scheduler.advance(0);
      expect(scheduler.pending).toBe(0);
      await scheduler.advance(10_000);
      expect(attempts).toHaveLength(20); // none of them retried after the abandon
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
