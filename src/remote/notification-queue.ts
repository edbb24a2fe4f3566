/**
 * One queue that batches notifications (on-device impressions, telemetry-only calls) across getOffers
 * calls into few Delivery requests. A Delivery request carries a single visitor `id` and `context`, so
 * items are grouped by visitor identity (the JSON of `{id, context, experienceCloud, property}` plus
 * the session id); notifications are never merged, each keeps its own id, timestamp and tokens.
 *
 * At most `concurrency` requests (default 1) are in flight; the rest waits in the queue (the
 * backpressure: nothing is dropped while the queue is below its capacity). A group is sealed into a
 * batch when it reaches `batchSize` or when the flush timer (armed by the first queued item) fires.
 *
 * Failures: a send that fails recoverably (network, timeout, 429, 5xx) marks the upstream down: only
 * the failing batches retry, with capped exponential backoff, until one succeeds and the queue sends
 * at full concurrency again. By default a batch is given up after `retries` retries (reported through
 * `onError`); with `retryUntilDelivered` it stays until delivered, bounded by the queue's capacity
 * (`maxQueued` notifications and `maxQueuedBytes` estimated heap bytes: beyond it the oldest are dropped,
 * counted and logged). `close({deadline})` keeps trying until the deadline, then hands whatever is
 * left to the spool (written to disk, sent by the next start) or counts it as lost.
 * See docs/notifications.md.
 *
 * This module is the queue's public face and composes its units (src/remote/notification-queue/):
 * - buffer.ts: groups by batch key, sealed batches, byte accounting, the capacity policy (pure state);
 * - dispatcher.ts: what is in flight, the concurrency and upstream-down rules, the retry loop, flush waits;
 * - retry-policy.ts: give up or retry after which delay (pure);
 * - spool.ts and closing.ts: the spool, close() with its deadline, abandoning what is left;
 * - flush-timer.ts, delivery-request.ts, waiters.ts (enqueueAndWait callers), settings.ts, types.ts.
 */
import { DecisioningError } from "../errors";
import type { SafeLogger } from "../logger";
import { NotificationBuffer, type BufferHooks } from "./notification-queue/buffer";
import { QueueCloser } from "./notification-queue/closing";
import { deliveryRequestFor } from "./notification-queue/delivery-request";
import { Dispatcher } from "./notification-queue/dispatcher";
import { FlushTimer } from "./notification-queue/flush-timer";
import { resolveQueueSettings, type QueueSettings } from "./notification-queue/settings";
import { SpoolKeeper } from "./notification-queue/spool";
import type {
  NotificationQueue,
  NotificationQueueItem,
  NotificationQueueOptions,
  NotificationQueueStats,
  TelemetryOnlyItem,
} from "./notification-queue/types";
import { ItemWaiters } from "./notification-queue/waiters";

export { estimateBytes } from "./notification-queue/estimate";
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CLOSE_GRACE,
  DEFAULT_FLUSH_INTERVAL,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_NOTIFICATION_CONCURRENCY,
  DEFAULT_NOTIFICATION_RETRIES,
} from "./notification-queue/settings";
export type {
  NotificationQueue,
  NotificationQueueItem,
  NotificationQueueOptions,
  NotificationQueueStats,
  NotificationSpool,
  QueueCloseOptions,
  QueuedNotificationBatch,
  QueuedRequestParts,
  SpooledBatch,
  TelemetryOnlyItem,
} from "./notification-queue/types";

/** Capacity drops are logged at the first one, then every this many. */
const DROP_WARN_EVERY = 1000;

/** The units of one queue. */
interface QueueParts {
  logger: SafeLogger;
  telemetry: boolean;
  buffer: NotificationBuffer;
  dispatcher: Dispatcher;
  timer: FlushTimer;
  /** Sends what an enqueue sealed, in a task of its own (delay 0). */
  sendTimer: FlushTimer;
  spool: SpoolKeeper;
  closer: QueueCloser;
}

export function createNotificationQueue(o: NotificationQueueOptions): NotificationQueue {
  const { scheduler, logger } = o;
  const settings = resolveQueueSettings(o);
  const buffer = new NotificationBuffer(settings, bufferHooks(logger, settings));
  const spool = new SpoolKeeper(o.spool, logger);
  const takeTelemetry = settings.telemetry ? () => o.takeTelemetry!() : undefined;
  const dispatcher = new Dispatcher(buffer, {
    scheduler,
    logger,
    concurrency: settings.concurrency,
    retry: settings.retry,
    send: (payload) => o.send(payload),
    requestFor: (batch) => deliveryRequestFor(batch, takeTelemetry, logger),
    onGiveUp: (error, request) => o.onError(error, request),
    onSettled: (batch, abandoned) => spool.batchSettled(batch, abandoned),
  });
  const timer = new FlushTimer(scheduler, settings.flushInterval, () => {
    buffer.sealAll();
    dispatcher.kick();
  });
  // Batches sealed by an enqueue are sent from a timer task of their own, not inside the call that
  // enqueued: the getOffers (or HTTP request) that completes the 50th group does not pay for 50 sends.
  const sendTimer = new FlushTimer(scheduler, 0, () => dispatcher.kick());
  const flush = (): Promise<void> => {
    timer.cancel();
    sendTimer.cancel();
    buffer.sealAll();
    return dispatcher.waitForSealedBefore(buffer.nextSeq);
  };
  const retryUntilDelivered = settings.retry.retryUntilDelivered;
  const closer = new QueueCloser({
    scheduler,
    logger,
    buffer,
    dispatcher,
    spool,
    timer,
    retryUntilDelivered,
    flush,
  });
  const q: QueueParts = { logger, telemetry: settings.telemetry, buffer, dispatcher, timer, sendTimer, spool, closer };

  if (spool.loadInto(buffer) > 0) dispatcher.kick();

  return {
    enqueue: (item) => enqueue(q, item),
    enqueueAndWait: (item) => enqueueAndWait(q, item),
    enqueueTelemetryOnly: (item) => enqueueTelemetryOnly(q, item),
    flush,
    close: (options) => closer.close(options),
    get size() {
      return buffer.queued;
    },
    stats: () => statsOf(q),
  };
}

function bufferHooks(logger: SafeLogger, limits: QueueSettings): BufferHooks {
  return {
    onUnserialisable(err) {
      logger.warn(
        "Notification dropped: its request cannot be serialised:",
        err instanceof Error ? err.message : err,
      );
    },
    onDropped(dropped, reason) {
      if (dropped !== 1 && dropped % DROP_WARN_EVERY !== 0) return;
      logger.warn(
        `Notification queue at capacity (${limits.maxQueued} notifications, ${limits.maxQueuedBytes} bytes); dropped the oldest ` +
          `notifications (${dropped} so far, reason: ${reason}). Each Delivery request carries one visitor: ` +
          "raise notificationConcurrency for many distinct visitors, or the capacity for long upstream outages.",
      );
    },
  };
}

function enqueue(q: QueueParts, item: NotificationQueueItem): void {
  if (q.closer.refuse("notifications")) return;
  const notifications = Array.isArray(item?.notifications)
    ? item.notifications.filter((n) => typeof n === "object" && n !== null)
    : [];
  if (notifications.length === 0) return;
  const { buffer, timer } = q;
  const group = buffer.groupFor(item);
  if (!group) return;
  buffer.append(group, notifications);
  buffer.enforceCapacity();
  if (buffer.sealIfDue(group)) {
    if (buffer.groupCount === 0) timer.cancel();
    q.sendTimer.arm();
  }
  if (buffer.groupCount > 0) timer.arm();
}

function enqueueAndWait(q: QueueParts, item: NotificationQueueItem): Promise<void> {
  if (q.closer.closed)
    return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The notification queue is closed"));
  const group = q.buffer.groupFor(item);
  if (!group) {
    return Promise.reject(
      new DecisioningError("ODE_ERR_INVALID_REQUEST", "The notification request cannot be serialised"),
    );
  }
  const done = new Promise<void>((resolve, reject) =>
    (group.waiters ??= new ItemWaiters()).add(resolve, reject),
  );
  enqueue(q, item);
  return done;
}

function enqueueTelemetryOnly(q: QueueParts, item: TelemetryOnlyItem): void {
  if (q.closer.refuse("telemetry-only request")) return;
  if (!q.telemetry) {
    if (q.logger.debugEnabled) q.logger.debug("Telemetry is disabled; telemetry-only request ignored");
    return;
  }
  // Telemetry entries belong to the client, not to a visitor: they ride along with the next
  // notification request, or with one carrier request per flush (the latest caller's id/context).
  q.buffer.carryTelemetry(item);
  q.timer.arm();
}

function statsOf({ buffer, dispatcher, spool }: QueueParts): NotificationQueueStats {
  const counts = dispatcher.counts;
  return {
    sent: counts.sent,
    failed: counts.failed,
    dropped: buffer.dropped,
    sentNotifications: counts.sentNotifications,
    failedNotifications: counts.failedNotifications,
    lostNotifications: spool.lostNotifications,
    spooledNotifications: spool.spooledNotifications,
    inFlight: dispatcher.inFlight,
    queued: buffer.queued,
    queuedBytes: buffer.queuedBytes,
    upstreamDown: dispatcher.upstreamDown,
  };
}
