/**
 * One queue that batches notifications (on-device impressions, telemetry-only calls) across getOffers
 * calls into few Delivery requests. A Delivery request carries a single visitor `id` and `context`, so
 * items are grouped by visitor identity (the JSON of `{id, context, experienceCloud, property}` plus
 * the session id); notifications are never merged, each keeps its own id, timestamp and tokens.
 *
 * At most `concurrency` requests (default 1) are in flight; the rest waits. A group is sealed into a batch when it reaches
 * `batchSize` or when the flush timer (armed by the first queued item) fires. Failed sends are retried
 * with backoff, then reported through `onError` and dropped. The queue is bounded (`maxQueued`).
 */
import { DecisioningError } from "../errors";
import type { Context, DeliveryRequest, Notification, TelemetryEntry, VisitorId } from "../protocol/delivery";
import type { SafeLogger } from "../logger";
import type { Scheduler, TimerHandle } from "../platform/scheduler";
import { sleep } from "../primitives/abort";
import { backoffDelay, resolveBackoff, type BackoffOptions } from "../primitives/backoff";
import { numberOption } from "../primitives/options";
import { DELIVERY_RETRY_BACKOFF } from "./delivery-client";

export const DEFAULT_BATCH_SIZE = 50;
export const DEFAULT_FLUSH_INTERVAL = 250;
export const DEFAULT_MAX_QUEUED = 10000;
export const DEFAULT_NOTIFICATION_RETRIES = 3;
export const DEFAULT_NOTIFICATION_CONCURRENCY = 1;
const DROP_WARN_EVERY = 1000;

export interface QueuedRequestParts {
  id?: VisitorId;
  context?: Context;
  experienceCloud?: Record<string, unknown>;
  property?: { token?: string };
}

export interface QueuedNotificationBatch {
  key: string;
  request: QueuedRequestParts;
  sessionId?: string;
  notifications: Notification[];
}

export interface NotificationQueueItem {
  request: QueuedRequestParts;
  sessionId?: string;
  notifications: Notification[];
  /**
   * What may share a request with other items. Default: the JSON of session id, id, context,
   * experienceCloud and property. The client passes a key without the values it generated itself
   * (a new session id or SDID per call), so one visitor's impressions batch across calls.
   */
  batchKey?: string;
}

export type TelemetryOnlyItem = Omit<NotificationQueueItem, "notifications">;

export interface NotificationQueueOptions {
  /** Sends one Delivery request; rejects on failure (the queue retries). */
  send: (batch: { request: DeliveryRequest; sessionId?: string }) => Promise<void>;
  scheduler: Scheduler;
  logger: SafeLogger;
  /** Max notifications per request. Default 50. */
  batchSize?: number;
  /** ms between the first queued item and the flush. Default 250. */
  flushInterval?: number;
  /** Max queued notifications; beyond, the oldest are dropped (warned and counted). Default 10000. */
  maxQueued?: number;
  /** Retries after a failed send. Default 3. A DecisioningError with `recoverable: false` is not retried. */
  retries?: number;
  backoff?: BackoffOptions;
  /** Called once per batch given up on (the client emits `sendNotificationError`). */
  onError: (err: DecisioningError, payload: DeliveryRequest) => void;
  /** Pending telemetry entries to attach to the next request sent. */
  takeTelemetry?: () => TelemetryEntry[];
  /** Default true (telemetry is active when `takeTelemetry` is given). */
  telemetryEnabled?: boolean;
  /**
   * Requests in flight at once. Default 1. A Delivery request carries one visitor, so a service with
   * many distinct visitors per flush interval needs more than one to keep up with its decisions.
   */
  concurrency?: number;
}

export interface NotificationQueueStats {
  /** Requests delivered. */
  sent: number;
  /** Requests given up on after retries. */
  failed: number;
  /** Notifications dropped because the queue was full. */
  dropped: number;
  /** Requests in flight (at most `concurrency`). */
  inFlight: number;
  /** Notifications waiting (not in flight). */
  queued: number;
  sentNotifications: number;
  failedNotifications: number;
}

export interface NotificationQueue {
  enqueue(item: NotificationQueueItem): void;
  /** Enqueues and resolves when the item's batch was delivered; rejects with its error when given up. */
  enqueueAndWait(item: NotificationQueueItem): Promise<void>;
  /** A request for the telemetry alone (on-device call with telemetry on); ignored when telemetry is off. */
  enqueueTelemetryOnly(item: TelemetryOnlyItem): void;
  /** Sends everything queued now; resolves when that (and the request in flight) is done. Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then refuses new items. Never rejects. */
  close(): Promise<void>;
  readonly size: number;
  stats(): NotificationQueueStats;
}

/** Callers waiting for their items: settled when every batch sealed from their group has settled. */
interface Waiters {
  pending: number;
  error: DecisioningError | undefined;
  list: { resolve: () => void; reject: (err: DecisioningError) => void }[];
}

interface Group extends QueuedNotificationBatch {
  /** A telemetry-only item asked for a request even without notifications. */
  wantsRequest: boolean;
  waiters?: Waiters["list"];
}

interface Sealed extends QueuedNotificationBatch {
  seq: number;
  waiters?: Waiters;
  error?: DecisioningError;
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
}

function intOption(value: number | undefined, fallback: number, min: number): number {
  return numberOption(value, fallback, { min, integer: true });
}

// eslint-disable-next-line max-lines-per-function -- being rewritten as batching/sending/retry units by the service branch (issue 14); remove this line with that rewrite
export function createNotificationQueue(o: NotificationQueueOptions): NotificationQueue {
  const { scheduler, logger } = o;
  const batchSize = intOption(o.batchSize, DEFAULT_BATCH_SIZE, 1);
  const flushInterval = intOption(o.flushInterval, DEFAULT_FLUSH_INTERVAL, 0);
  const maxQueued = intOption(o.maxQueued, DEFAULT_MAX_QUEUED, 1);
  const retries = intOption(o.retries, DEFAULT_NOTIFICATION_RETRIES, 0);
  const concurrency = intOption(o.concurrency, DEFAULT_NOTIFICATION_CONCURRENCY, 1);
  const telemetry = o.telemetryEnabled !== false && typeof o.takeTelemetry === "function";
  const backoff = resolveBackoff(o.backoff, DELIVERY_RETRY_BACKOFF);

  // Groups in arrival order (a Map iterates in insertion order: the first group is the oldest).
  const groups = new Map<string, Group>();
  // Sealed batches waiting to be sent: a FIFO with a moving head (no O(n) shift).
  let ready: Sealed[] = [];
  let head = 0;
  const inFlight = new Set<Sealed>();
  let waiters: FlushWaiter[] = [];
  let nextSeq = 1;
  let dropCursor = 0;
  let telemetryCarrier: TelemetryOnlyItem | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let queued = 0;
  const counts = { sent: 0, failed: 0, dropped: 0, sentNotifications: 0, failedNotifications: 0 };

  const pendingReady = () => ready.length - head;

  function groupFor(item: TelemetryOnlyItem): Group | undefined {
    const parts = item.request ?? {};
    let key: string;
    try {
      key =
        (item as NotificationQueueItem).batchKey ??
        JSON.stringify([
          item.sessionId ?? null,
          parts.id ?? null,
          parts.context ?? null,
          parts.experienceCloud ?? null,
          parts.property ?? null,
        ]);
    } catch (err) {
      logger.warn(
        "Notification dropped: its request cannot be serialised:",
        err instanceof Error ? err.message : err,
      );
      return undefined;
    }
    let group = groups.get(key);
    if (!group) {
      // The parts are the caller's own immutable snapshot (the client builds them per decision).
      const request: QueuedRequestParts = {
        id: parts.id,
        context: parts.context,
        experienceCloud: parts.experienceCloud,
      };
      if (parts.property !== undefined) request.property = parts.property;
      group = { key, request, sessionId: item.sessionId, notifications: [], wantsRequest: false };
      groups.set(key, group);
    }
    return group;
  }

  function seal(group: Group, count: number): void {
    const take =
      count === group.notifications.length ? group.notifications : group.notifications.slice(0, count);
    const rest = count === group.notifications.length ? [] : group.notifications.slice(count);
    const { key, request, sessionId } = group;
    const waiters: Waiters | undefined = group.waiters
      ? { pending: 0, error: undefined, list: group.waiters }
      : undefined;
    group.waiters = undefined;
    for (let i = 0; i < take.length || (i === 0 && group.wantsRequest); i += batchSize) {
      const notifications = take.length <= batchSize ? take : take.slice(i, i + batchSize);
      ready.push({ key, request, sessionId, notifications, seq: nextSeq++, waiters });
      if (waiters) waiters.pending++;
    }
    if (waiters && waiters.pending === 0) for (const w of waiters.list) w.resolve();
    group.notifications = rest;
    group.wantsRequest = false;
    if (rest.length === 0) groups.delete(key);
  }

  function sealAll(): void {
    const carrier = telemetryCarrier;
    telemetryCarrier = undefined;
    if (carrier && groups.size === 0 && pendingReady() === 0) {
      const group = groupFor(carrier);
      if (group) group.wantsRequest = true;
    }
    for (const group of groups.values()) seal(group, group.notifications.length);
  }

  function armTimer(): void {
    if (timer || closed) return;
    timer = scheduler.setTimeout(() => {
      timer = undefined;
      sealAll();
      kick();
    }, flushInterval);
  }

  function cancelTimer(): void {
    timer?.cancel();
    timer = undefined;
  }

  /** The lowest sequence number not yet completed (everything below it is done). */
  function lowestUnfinished(): number {
    let low = head < ready.length ? ready[head]!.seq : nextSeq;
    for (const b of inFlight) if (b.seq < low) low = b.seq;
    return low;
  }

  function settleWaiters(): void {
    if (waiters.length === 0) return;
    const low = lowestUnfinished();
    const keep: FlushWaiter[] = [];
    for (const w of waiters) {
      if (low >= w.seq) w.resolve();
      else keep.push(w);
    }
    waiters = keep;
  }

  function takeNext(): Sealed | undefined {
    if (head >= ready.length) return undefined;
    const batch = ready[head]!;
    ready[head++] = undefined as unknown as Sealed;
    if (head > 1024 && head * 2 > ready.length) {
      ready = ready.slice(head);
      dropCursor = Math.max(0, dropCursor - head);
      head = 0;
    }
    return batch;
  }

  function settleBatchWaiters(batch: Sealed): void {
    const w = batch.waiters;
    if (!w) return;
    if (batch.error && !w.error) w.error = batch.error;
    if (--w.pending > 0) return;
    for (const waiter of w.list) (w.error ? () => waiter.reject(w.error!) : waiter.resolve)();
  }

  function kick(): void {
    while (inFlight.size < concurrency && pendingReady() > 0) {
      const batch = takeNext()!;
      queued -= batch.notifications.length;
      inFlight.add(batch);
      sendBatch(batch)
        .catch((err: unknown) => logger.error("Notification queue failure:", err))
        .finally(() => {
          settleBatchWaiters(batch);
          inFlight.delete(batch);
          settleWaiters();
          kick();
        });
    }
    settleWaiters();
  }

  function isFinal(err: unknown): boolean {
    return DecisioningError.is(err) && !err.recoverable;
  }

  async function sendBatch(batch: Sealed): Promise<void> {
    const request: DeliveryRequest = { ...batch.request };
    const count = batch.notifications.length;
    if (count > 0) request.notifications = batch.notifications;
    if (telemetry) {
      let entries: TelemetryEntry[] = [];
      try {
        entries = o.takeTelemetry!() ?? [];
      } catch (err) {
        logger.error("takeTelemetry threw:", err);
      }
      if (Array.isArray(entries) && entries.length > 0) request.telemetry = { entries };
    }
    if (!request.notifications && !request.telemetry) return; // nothing worth a request
    const payload = { request, sessionId: batch.sessionId };
    for (let attempt = 0; ; attempt++) {
      try {
        await Promise.resolve().then(() => o.send(payload));
        counts.sent++;
        counts.sentNotifications += count;
        return;
      } catch (err) {
        if (attempt >= retries || isFinal(err)) {
          counts.failed++;
          counts.failedNotifications += count;
          const error = new DecisioningError(
            "ODE_ERR_NOTIFICATION_FAILED",
            `Sending ${count} notification(s) failed after ${attempt + 1} attempt(s): ${err instanceof Error ? err.message : String(err)}`,
            {
              cause: err,
              status: DecisioningError.is(err) ? err.status : undefined,
              recoverable: !isFinal(err),
              details: { attempts: attempt + 1, notifications: count },
            },
          );
          logger.error(error.message);
          batch.error = error;
          try {
            o.onError(error, request);
          } catch (cbErr) {
            logger.error("onError callback threw:", cbErr);
          }
          return;
        }
        const delay = backoffDelay(backoff, attempt, () => scheduler.random());
        if (logger.debugEnabled)
          logger.debug(`Notification send failed (attempt ${attempt + 1}); retrying in ${delay} ms`);
        await sleep(scheduler, delay);
      }
    }
  }

  /** Drops the oldest queued notification (sealed batches first, then groups in arrival order). */
  function dropOldest(): boolean {
    let dropped = false;
    // Batches before dropCursor are already empty: never rescan them (keeps dropping O(1) amortised).
    for (let i = Math.max(head, dropCursor); i < ready.length && !dropped; i++) {
      const batch = ready[i]!;
      if (batch.notifications.length === 0) {
        dropCursor = i + 1;
        continue;
      }
      batch.notifications = batch.notifications.slice(1);
      dropped = true;
    }
    if (!dropped) {
      for (const group of groups.values()) {
        if (group.notifications.length === 0) continue;
        group.notifications.shift();
        dropped = true;
        if (group.notifications.length === 0 && !group.wantsRequest) groups.delete(group.key);
        break;
      }
    }
    if (!dropped) return false;
    queued--;
    counts.dropped++;
    if (counts.dropped === 1 || counts.dropped % DROP_WARN_EVERY === 0) {
      logger.warn(
        `Notification queue full (${maxQueued}); dropped the oldest notifications (${counts.dropped} so far). ` +
          "Each Delivery request carries one visitor: raise notificationConcurrency for many distinct visitors.",
      );
    }
    return true;
  }

  function refuse(what: string): boolean {
    if (!closed) return false;
    if (logger.debugEnabled) logger.debug(`Notification queue is closed; ${what} ignored`);
    return true;
  }

  function enqueue(item: NotificationQueueItem): void {
    if (refuse("notifications")) return;
    const notifications = Array.isArray(item?.notifications)
      ? item.notifications.filter((n) => typeof n === "object" && n !== null)
      : [];
    if (notifications.length === 0) return;
    const group = groupFor(item);
    if (!group) return;
    for (const n of notifications) group.notifications.push(n);
    queued += notifications.length;
    while (queued > maxQueued && dropOldest());
    if (groups.size >= batchSize) {
      // Many visitors waiting (each needs its own request): send now rather than wait for the timer,
      // so the queue keeps pace under load even when no timer gets a chance to fire.
      sealAll();
      cancelTimer();
      kick();
    } else if (group.notifications.length >= batchSize && groups.get(group.key) === group) {
      seal(group, group.notifications.length - (group.notifications.length % batchSize));
      if (groups.size === 0) cancelTimer();
      kick();
    }
    if (groups.size > 0) armTimer();
  }

  function enqueueAndWait(item: NotificationQueueItem): Promise<void> {
    if (closed)
      return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The notification queue is closed"));
    const group = groupFor(item);
    if (!group) {
      return Promise.reject(
        new DecisioningError("ODE_ERR_INVALID_REQUEST", "The notification request cannot be serialised"),
      );
    }
    const done = new Promise<void>((resolve, reject) => (group.waiters ??= []).push({ resolve, reject }));
    enqueue(item);
    return done;
  }

  function enqueueTelemetryOnly(item: TelemetryOnlyItem): void {
    if (refuse("telemetry-only request")) return;
    if (!telemetry) {
      if (logger.debugEnabled) logger.debug("Telemetry is disabled; telemetry-only request ignored");
      return;
    }
    // Telemetry entries belong to the client, not to a visitor: they ride along with the next
    // notification request, or with one carrier request per flush (the latest caller's id/context).
    telemetryCarrier = item;
    armTimer();
  }

  function flush(): Promise<void> {
    cancelTimer();
    sealAll();
    const seq = nextSeq;
    const done = new Promise<void>((resolve) => waiters.push({ seq, resolve }));
    kick();
    return done;
  }

  function close(): Promise<void> {
    if (!closing) {
      closed = true;
      closing = flush();
    }
    return closing;
  }

  return {
    enqueue,
    enqueueAndWait,
    enqueueTelemetryOnly,
    flush,
    close,
    get size() {
      return queued;
    },
    stats: () => ({ ...counts, inFlight: inFlight.size, queued }),
  };
}
