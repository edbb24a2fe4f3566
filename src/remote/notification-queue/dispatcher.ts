/**
 * Sending: takes sealed batches from the buffer and sends them, at most `concurrency` at once.
 *
 * A batch whose send fails recoverably marks the upstream down: from then on only one batch is in
 * flight (the failing ones retry after their backoff, nothing new starts) until a send succeeds.
 * The retry policy decides between retrying and giving up. `flush()` callers wait for a sequence
 * number: they are released once every batch sealed before it has settled.
 */
import type { DecisioningError } from "../../errors";
import type { SafeLogger } from "../../logger";
import type { Scheduler } from "../../platform/scheduler";
import type { DeliveryRequest } from "../../protocol/delivery";
import type { SealedBatch } from "./buffer";
import { decideRetry, givenUpError, type RetryPolicy } from "./retry-policy";
import type { NotificationQueueOptions } from "./types";

/** Where the dispatcher takes its batches from (the NotificationBuffer). */
export interface BatchSource {
  readonly sealedCount: number;
  takeNext(): SealedBatch | undefined;
  oldestSealedSeq(): number;
}

export interface DispatcherOptions {
  scheduler: Scheduler;
  logger: SafeLogger;
  concurrency: number;
  retry: RetryPolicy;
  send: NotificationQueueOptions["send"];
  /** The request of a batch (with telemetry attached); undefined when nothing is worth a request. */
  requestFor(batch: SealedBatch): DeliveryRequest | undefined;
  /** A batch was given up on. */
  onGiveUp(error: DecisioningError, request: DeliveryRequest): void;
  /** A batch left the queue: delivered, given up on, or abandoned (`abandoned` is then true). */
  onSettled(batch: SealedBatch, abandoned: boolean): void;
}

export interface DispatchCounts {
  /** Requests delivered. */
  sent: number;
  /** Requests given up on. */
  failed: number;
  sentNotifications: number;
  failedNotifications: number;
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
}

export class Dispatcher {
  readonly #source: BatchSource;
  readonly #o: DispatcherOptions;
  readonly #random: () => number;
  readonly #inFlight = new Set<SealedBatch>();
  #flushWaiters: FlushWaiter[] = [];
  #upstreamDown = false;
  #abandoned = false;
  /** Batches sleeping before a retry, each with the function that wakes it when the queue abandons them. */
  readonly #sleeping = new Set<() => void>();
  readonly #counts: DispatchCounts = { sent: 0, failed: 0, sentNotifications: 0, failedNotifications: 0 };

  constructor(source: BatchSource, options: DispatcherOptions) {
    this.#source = source;
    this.#o = options;
    this.#random = () => options.scheduler.random();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Recent sends failed: only one batch is in flight until one succeeds. */
  get upstreamDown(): boolean {
    return this.#upstreamDown;
  }

  /** The batches were handed over at the close deadline: nothing is sent any more. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  get counts(): Readonly<DispatchCounts> {
    return this.#counts;
  }

  /** Starts sending sealed batches up to the concurrency limit. */
  kick(): void {
    const limit = this.#upstreamDown ? 1 : this.#o.concurrency;
    while (!this.#abandoned && this.#inFlight.size < limit && this.#source.sealedCount > 0) {
      const batch = this.#source.takeNext()!;
      this.#inFlight.add(batch);
      this.#deliver(batch)
        .catch((err: unknown) => this.#o.logger.error("Notification queue failure:", err))
        .finally(() => this.#finished(batch));
    }
    this.#settleFlushWaiters();
  }

  /**
   * Resolves once every batch numbered below `seq` has settled (or the batches were abandoned);
   * holds the process alive meanwhile.
   */
  waitForSealedBefore(seq: number): Promise<void> {
    const release = this.#o.scheduler.hold?.();
    const done = new Promise<void>((resolve) =>
      this.#flushWaiters.push({
        seq,
        resolve: () => {
          release?.();
          resolve();
        },
      }),
    );
    this.kick();
    return done;
  }

  /**
   * Stops sending: every batch in flight, waiting for a retry or still sealed is handed to
   * `handOver` (which keeps or counts it), then settled as dropped.
   */
  abandon(handOver: (left: SealedBatch[]) => void): void {
    this.#abandoned = true;
    const left: SealedBatch[] = [...this.#inFlight];
    this.#inFlight.clear();
    while (this.#source.sealedCount > 0) left.push(this.#source.takeNext()!);
    handOver(left);
    for (const batch of left) {
      if (batch.waiters && batch.notifications.length > 0)
        batch.waiters.dropped += batch.notifications.length;
      this.#settle(batch);
    }
    for (const wake of [...this.#sleeping]) wake();
    this.#settleFlushWaiters();
  }

  #finished(batch: SealedBatch): void {
    if (!this.#inFlight.delete(batch)) return; // abandoned at the close deadline
    this.#settle(batch);
    this.#settleFlushWaiters();
    this.kick();
  }

  #settle(batch: SealedBatch): void {
    this.#o.onSettled(batch, this.#abandoned);
    batch.waiters?.batchSettled(batch.error);
  }

  /** The lowest sequence number not yet settled (everything below it is done). */
  #lowestUnsettled(): number {
    let low = this.#source.oldestSealedSeq();
    for (const b of this.#inFlight) if (b.seq < low) low = b.seq;
    return low;
  }

  #settleFlushWaiters(): void {
    if (this.#flushWaiters.length === 0) return;
    const low = this.#abandoned ? Infinity : this.#lowestUnsettled();
    const keep: FlushWaiter[] = [];
    for (const w of this.#flushWaiters) {
      if (low >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.#flushWaiters = keep;
  }

  /** Sends one batch, retrying as the retry policy says, until delivered, given up or abandoned. */
  async #deliver(batch: SealedBatch): Promise<void> {
    const request = this.#o.requestFor(batch);
    if (!request) return; // nothing worth a request
    const payload = { request, sessionId: batch.sessionId };
    for (let attempt = 0; ; attempt++) {
      try {
        await Promise.resolve().then(() => this.#o.send(payload));
        if (this.#abandoned) return;
        this.#upstreamDown = false;
        this.#counts.sent++;
        this.#counts.sentNotifications += batch.notifications.length;
        return;
      } catch (err) {
        if (this.#abandoned) return;
        const decision = decideRetry(this.#o.retry, attempt, err, this.#random);
        if (!decision.retry) return this.#giveUp(batch, request, attempt + 1, err);
        this.#upstreamDown = true;
        if (this.#o.logger.debugEnabled)
          this.#o.logger.debug(
            `Notification send failed (attempt ${attempt + 1}); retrying in ${decision.delay} ms`,
          );
        if (!(await this.#sleepBeforeRetry(decision.delay))) return; // abandon() took the batch
      }
    }
  }

  /** Resolves true after `delay`, or false at once when the queue abandons its batches meanwhile. */
  #sleepBeforeRetry(delay: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        this.#sleeping.delete(wake);
        timer.cancel();
        resolve(false);
      };
      const timer = this.#o.scheduler.setTimeout(() => {
        this.#sleeping.delete(wake);
        resolve(true);
      }, Math.max(0, delay));
      this.#sleeping.add(wake);
    });
  }

  #giveUp(batch: SealedBatch, request: DeliveryRequest, attempts: number, err: unknown): void {
    const count = batch.notifications.length;
    this.#counts.failed++;
    this.#counts.failedNotifications += count;
    const error = givenUpError(err, attempts, count);
    this.#o.logger.error(error.message);
    batch.error = error;
    try {
      this.#o.onGiveUp(error, request);
    } catch (cbErr) {
      this.#o.logger.error("onError callback threw:", cbErr);
    }
  }
}
