/**
 * One queue that batches notifications (on-device impressions, telemetry-only calls) across getOffers
 * calls into few Delivery requests. A Delivery request carries a single visitor `id` and `context`, so
 * items are grouped by visitor identity (the JSON of `{id, context, experienceCloud, property}` plus
 * the session id); notifications are never merged, each keeps its own id, timestamp and tokens.
 *
 * At most one request is in flight; the rest waits. A group is sealed into a batch when it reaches
 * `batchSize` or when the flush timer (armed by the first queued item) fires. Failed sends are retried
 * with backoff, then reported through `onError` and dropped. The queue is bounded (`maxQueued`).
 */
import { DecisioningError } from "../errors";
import type { Context, DeliveryRequest, Notification, TelemetryEntry, VisitorId } from "../engine/types";
import type { SafeLogger } from "../logger";
import type { Scheduler, TimerHandle } from "../platform/scheduler";
import { computeBackoff, sleep, type BackoffOptions } from "./retry";

export const DEFAULT_BATCH_SIZE = 50;
export const DEFAULT_FLUSH_INTERVAL = 250;
export const DEFAULT_MAX_QUEUED = 10000;
export const DEFAULT_NOTIFICATION_RETRIES = 3;
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
}

export interface NotificationQueueStats {
  /** Requests delivered. */
  sent: number;
  /** Requests given up on after retries. */
  failed: number;
  /** Notifications dropped because the queue was full. */
  dropped: number;
  /** Requests in flight (0 or 1). */
  inFlight: number;
  /** Notifications waiting (not in flight). */
  queued: number;
  sentNotifications: number;
  failedNotifications: number;
}

export interface NotificationQueue {
  enqueue(item: NotificationQueueItem): void;
  /** A request for the telemetry alone (on-device call with telemetry on); ignored when telemetry is off. */
  enqueueTelemetryOnly(item: TelemetryOnlyItem): void;
  /** Sends everything queued now; resolves when that (and the request in flight) is done. Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then refuses new items. Never rejects. */
  close(): Promise<void>;
  readonly size: number;
  stats(): NotificationQueueStats;
}

interface Group extends QueuedNotificationBatch {
  /** A telemetry-only item asked for a request even without notifications. */
  wantsRequest: boolean;
}

interface Sealed extends QueuedNotificationBatch {
  done: Promise<void>;
  resolve: () => void;
}

function intOption(value: number | undefined, fallback: number, min: number): number {
  return typeof value === "number" && Number.isFinite(value) && value >= min ? Math.floor(value) : fallback;
}

export function createNotificationQueue(o: NotificationQueueOptions): NotificationQueue {
  const { scheduler, logger } = o;
  const batchSize = intOption(o.batchSize, DEFAULT_BATCH_SIZE, 1);
  const flushInterval = intOption(o.flushInterval, DEFAULT_FLUSH_INTERVAL, 0);
  const maxQueued = intOption(o.maxQueued, DEFAULT_MAX_QUEUED, 1);
  const retries = intOption(o.retries, DEFAULT_NOTIFICATION_RETRIES, 0);
  const telemetry = o.telemetryEnabled !== false && typeof o.takeTelemetry === "function";

  const groups = new Map<string, Group>();
  const ready: Sealed[] = [];
  let current: Sealed | undefined;
  let timer: TimerHandle | undefined;
  let pumping = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let queued = 0;
  const counts = { sent: 0, failed: 0, dropped: 0, sentNotifications: 0, failedNotifications: 0 };

  function groupFor(item: TelemetryOnlyItem): Group | undefined {
    const parts = item.request ?? {};
    let key: string;
    try {
      key = JSON.stringify([
        item.sessionId ?? null,
        { id: parts.id, context: parts.context, experienceCloud: parts.experienceCloud, property: parts.property },
      ]);
    } catch (err) {
      logger.warn("Notification dropped: its request cannot be serialised:", err instanceof Error ? err.message : err);
      return undefined;
    }
    let group = groups.get(key);
    if (!group) {
      // The parsed key is a private snapshot of the request parts: later caller mutations cannot leak in.
      const snapshot = (JSON.parse(key) as [string | null, QueuedRequestParts])[1];
      group = { key, request: snapshot, sessionId: item.sessionId, notifications: [], wantsRequest: false };
      groups.set(key, group);
    }
    return group;
  }

  function seal(group: Group, count: number): void {
    const take = group.notifications.splice(0, count);
    for (let i = 0; i < take.length || (i === 0 && group.wantsRequest); i += batchSize) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const { key, request, sessionId } = group;
      ready.push({ key, request, sessionId, notifications: take.slice(i, i + batchSize), done, resolve });
    }
    group.wantsRequest = false;
    if (group.notifications.length === 0) groups.delete(group.key);
  }

  function sealAll(): void {
    for (const group of [...groups.values()]) seal(group, group.notifications.length);
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

  function kick(): void {
    if (pumping || ready.length === 0) return;
    pumping = true;
    Promise.resolve()
      .then(pump)
      .catch((err: unknown) => logger.error("Notification queue failure:", err))
      .finally(() => {
        pumping = false;
        if (ready.length > 0) kick();
      });
  }

  async function pump(): Promise<void> {
    while (ready.length > 0) {
      const batch = ready.shift()!;
      queued -= batch.notifications.length;
      current = batch;
      try {
        await sendBatch(batch);
      } finally {
        current = undefined;
        batch.resolve();
      }
    }
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
          try {
            o.onError(error, request);
          } catch (cbErr) {
            logger.error("onError callback threw:", cbErr);
          }
          return;
        }
        const delay = computeBackoff(attempt, o.backoff, () => scheduler.random());
        if (logger.debugEnabled) logger.debug(`Notification send failed (attempt ${attempt + 1}); retrying in ${delay} ms`);
        await sleep(scheduler, delay);
      }
    }
  }

  /** Drops the oldest queued notification (sealed batches first, then groups in arrival order). */
  function dropOldest(): boolean {
    let dropped = false;
    for (let i = 0; i < ready.length && !dropped; i++) {
      const batch = ready[i]!;
      if (batch.notifications.length === 0) continue;
      batch.notifications.shift();
      dropped = true;
      if (batch.notifications.length === 0) {
        ready.splice(i, 1);
        batch.resolve();
      }
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
      logger.warn(`Notification queue full (${maxQueued}); dropped the oldest notifications (${counts.dropped} so far)`);
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
    if (group.notifications.length >= batchSize && groups.get(group.key) === group) {
      seal(group, group.notifications.length - (group.notifications.length % batchSize));
      if (groups.size === 0) cancelTimer();
      kick();
    }
    if (groups.size > 0) armTimer();
  }

  function enqueueTelemetryOnly(item: TelemetryOnlyItem): void {
    if (refuse("telemetry-only request")) return;
    if (!telemetry) {
      if (logger.debugEnabled) logger.debug("Telemetry is disabled; telemetry-only request ignored");
      return;
    }
    const group = groupFor(item);
    if (!group) return;
    group.wantsRequest = true;
    armTimer();
  }

  function flush(): Promise<void> {
    cancelTimer();
    sealAll();
    const waits = ready.map((b) => b.done);
    if (current) waits.push(current.done);
    kick();
    return Promise.all(waits).then(() => undefined);
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
    enqueueTelemetryOnly,
    flush,
    close,
    get size() {
      return queued;
    },
    stats: () => ({ ...counts, inFlight: current ? 1 : 0, queued }),
  };
}
