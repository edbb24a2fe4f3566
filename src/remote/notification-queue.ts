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
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;
export const DEFAULT_NOTIFICATION_RETRIES = 3;
/** With `retryUntilDelivered`, how long close() without a deadline keeps trying. */
export const DEFAULT_CLOSE_GRACE = 10_000;
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

/** What the spool keeps of a batch: enough to send it again after a restart. */
export type SpooledBatch = Omit<QueuedNotificationBatch, "key">;

/** Durable storage for batches left at shutdown (the service writes a file under its data directory). */
export interface NotificationSpool {
  /** Batches saved by an earlier run (sent first). */
  load(): SpooledBatch[];
  /** Replaces the saved batches (an empty list clears the spool). */
  save(batches: SpooledBatch[]): void;
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
  /** Max estimated heap bytes queued (notifications and their visitors' request parts). Default 256 MiB. */
  maxQueuedBytes?: number;
  /** Retries after a failed send. Default 3. A DecisioningError with `recoverable: false` is not retried. */
  retries?: number;
  /** Keep recoverable failures queued until delivered (bounded by the capacity). Default false. */
  retryUntilDelivered?: boolean;
  backoff?: BackoffOptions;
  /** Where close() puts what it could not send; loaded (and sent first) at creation. */
  spool?: NotificationSpool;
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
  /** Requests given up on (a final error, or retries exhausted). */
  failed: number;
  /** Notifications dropped because the queue was at capacity. */
  dropped: number;
  /** Requests in flight (at most `concurrency`). */
  inFlight: number;
  /** Notifications waiting (not in flight). */
  queued: number;
  /** Estimated heap bytes waiting. */
  queuedBytes: number;
  sentNotifications: number;
  failedNotifications: number;
  /** Notifications left unsent when close() reached its deadline, with no spool to keep them. */
  lostNotifications: number;
  /** Notifications close() wrote to the spool. */
  spooledNotifications: number;
  /** true while recent sends failed and only retries go out. */
  upstreamDown: boolean;
}

export interface QueueCloseOptions {
  /** Scheduler time (epoch ms) after which what is unsent goes to the spool or is counted lost. */
  deadline?: number;
}

export interface NotificationQueue {
  enqueue(item: NotificationQueueItem): void;
  /**
   * Enqueues and resolves when the item's batch was delivered; rejects with its error when given up,
   * or with ODE_ERR_NOTIFICATION_DROPPED when some of its notifications were dropped (capacity, close).
   */
  enqueueAndWait(item: NotificationQueueItem): Promise<void>;
  /** A request for the telemetry alone (on-device call with telemetry on); ignored when telemetry is off. */
  enqueueTelemetryOnly(item: TelemetryOnlyItem): void;
  /** Sends everything queued now; resolves when that (and the request in flight) is done. Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then refuses new items; settles by the deadline at the latest. Never rejects. */
  close(options?: QueueCloseOptions): Promise<void>;
  readonly size: number;
  stats(): NotificationQueueStats;
}

/** Callers waiting for their items: settled when every batch sealed from their group has settled. */
interface Waiters {
  pending: number;
  error: DecisioningError | undefined;
  dropped: number;
  list: { resolve: () => void; reject: (err: DecisioningError) => void }[];
}

interface Group extends QueuedNotificationBatch {
  /** A telemetry-only item asked for a request even without notifications. */
  wantsRequest: boolean;
  /** Estimated bytes of the request parts and the notifications. */
  bytes: number;
  partsBytes: number;
  waiters?: Waiters;
}

interface Sealed extends QueuedNotificationBatch {
  seq: number;
  bytes: number;
  waiters?: Waiters;
  error?: DecisioningError;
  fromSpool?: boolean;
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
}

function intOption(value: number | undefined, fallback: number, min: number): number {
  return numberOption(value, fallback, { min, integer: true });
}

/**
 * Approximate heap bytes of a value, without serialising it (depth-capped): strings their length
 * plus a header, objects and arrays a header plus a slot per entry. Calibrated against V8 (a
 * queued web impression with its visitor measures ~2.9 KB of heap; this counts ~2.5 KB).
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (typeof value === "string") return 16 + value.length;
  if (typeof value !== "object" || value === null) return 8;
  if (depth > 6) return 64;
  let n = 48;
  if (Array.isArray(value)) {
    for (const v of value) n += 8 + estimateBytes(v, depth + 1);
    return n;
  }
  for (const key in value) n += 24 + estimateBytes((value as Record<string, unknown>)[key], depth + 1);
  return n;
}

/** A group's own cost besides its request parts: the group, its map entry, its sealed batch. */
const GROUP_OVERHEAD = 600;

function isFinal(err: unknown): boolean {
  return DecisioningError.is(err) && !err.recoverable;
}

function settleWaitersOf(w: Waiters): void {
  let error = w.error;
  if (!error && w.dropped > 0) {
    error = new DecisioningError(
      "ODE_ERR_NOTIFICATION_DROPPED",
      `${w.dropped} notification(s) were dropped before they could be sent`,
      { recoverable: true, details: { dropped: w.dropped } },
    );
  }
  for (const waiter of w.list) {
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

// eslint-disable-next-line max-lines-per-function -- one closure over the queue's state; to be split into batching/sending/capacity units
export function createNotificationQueue(o: NotificationQueueOptions): NotificationQueue {
  const { scheduler, logger } = o;
  const batchSize = intOption(o.batchSize, DEFAULT_BATCH_SIZE, 1);
  const flushInterval = intOption(o.flushInterval, DEFAULT_FLUSH_INTERVAL, 0);
  const maxQueued = intOption(o.maxQueued, DEFAULT_MAX_QUEUED, 1);
  const maxQueuedBytes = intOption(o.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 1);
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
  /** Aborted at the close deadline: wakes the batches sleeping before a retry. */
  let deadlineReached: AbortController | undefined;
  let abandoned = false;
  let upstreamDown = false;
  let spoolPending = 0;
  let queued = 0;
  let queuedBytes = 0;
  const counts = {
    sent: 0,
    failed: 0,
    dropped: 0,
    sentNotifications: 0,
    failedNotifications: 0,
    lostNotifications: 0,
    spooledNotifications: 0,
  };

  const pendingReady = () => ready.length - head;

  function batchKeyOf(item: TelemetryOnlyItem): string | undefined {
    const parts = item.request ?? {};
    try {
      return (
        (item as NotificationQueueItem).batchKey ??
        JSON.stringify([
          item.sessionId ?? null,
          parts.id ?? null,
          parts.context ?? null,
          parts.experienceCloud ?? null,
          parts.property ?? null,
        ])
      );
    } catch (err) {
      logger.warn(
        "Notification dropped: its request cannot be serialised:",
        err instanceof Error ? err.message : err,
      );
      return undefined;
    }
  }

  function groupFor(item: TelemetryOnlyItem): Group | undefined {
    const key = batchKeyOf(item);
    if (key === undefined) return undefined;
    let group = groups.get(key);
    if (!group) {
      const parts = item.request ?? {};
      // The parts are the caller's own immutable snapshot (the client builds them per decision).
      const request: QueuedRequestParts = {
        id: parts.id,
        context: parts.context,
        experienceCloud: parts.experienceCloud,
      };
      if (parts.property !== undefined) request.property = parts.property;
      const partsBytes =
        estimateBytes(request) + 2 * key.length + (item.sessionId?.length ?? 0) + GROUP_OVERHEAD;
      group = {
        key,
        request,
        sessionId: item.sessionId,
        notifications: [],
        wantsRequest: false,
        bytes: partsBytes,
        partsBytes,
      };
      groups.set(key, group);
      queuedBytes += partsBytes;
    }
    return group;
  }

  function pushReady(batch: Omit<Sealed, "seq">): void {
    ready.push({ ...batch, seq: nextSeq++ });
    if (batch.waiters) batch.waiters.pending++;
  }

  function seal(group: Group, count: number): void {
    const all = count === group.notifications.length;
    const take = all ? group.notifications : group.notifications.slice(0, count);
    const rest = all ? [] : group.notifications.slice(count);
    const { key, request, sessionId } = group;
    const w = group.waiters;
    group.waiters = undefined;
    queuedBytes -= group.bytes;
    for (let i = 0; i < take.length || (i === 0 && group.wantsRequest); i += batchSize) {
      const notifications = take.length <= batchSize ? take : take.slice(i, i + batchSize);
      let bytes = i === 0 ? group.partsBytes : 0;
      for (const n of notifications) bytes += estimateBytes(n);
      queuedBytes += bytes;
      pushReady({ key, request, sessionId, notifications, bytes, waiters: w });
    }
    if (w && w.pending === 0) settleWaitersOf(w);
    group.notifications = rest;
    group.wantsRequest = false;
    if (rest.length === 0) {
      groups.delete(key);
      return;
    }
    group.bytes = group.partsBytes;
    for (const n of rest) group.bytes += estimateBytes(n);
    queuedBytes += group.bytes;
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

  function settleFlushWaiters(): void {
    if (waiters.length === 0) return;
    const low = abandoned ? Infinity : lowestUnfinished();
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
    queued -= batch.notifications.length;
    queuedBytes -= batch.bytes;
    return batch;
  }

  function settleBatch(batch: Sealed): void {
    if (batch.fromSpool && --spoolPending === 0 && !abandoned) saveSpool([]);
    const w = batch.waiters;
    if (!w) return;
    if (batch.error && !w.error) w.error = batch.error;
    if (--w.pending === 0) settleWaitersOf(w);
  }

  function kick(): void {
    // While the upstream is down, only the failing batches (already in flight) retry.
    const limit = upstreamDown ? 1 : concurrency;
    while (!abandoned && inFlight.size < limit && pendingReady() > 0) {
      const batch = takeNext()!;
      inFlight.add(batch);
      sendBatch(batch)
        .catch((err: unknown) => logger.error("Notification queue failure:", err))
        .finally(() => {
          if (!inFlight.delete(batch)) return; // abandoned at the close deadline
          settleBatch(batch);
          settleFlushWaiters();
          kick();
        });
    }
    settleFlushWaiters();
  }

  function requestFor(batch: Sealed): DeliveryRequest | undefined {
    const request: DeliveryRequest = { ...batch.request };
    if (batch.notifications.length > 0) request.notifications = batch.notifications;
    if (telemetry) {
      let entries: TelemetryEntry[] = [];
      try {
        entries = o.takeTelemetry!() ?? [];
      } catch (err) {
        logger.error("takeTelemetry threw:", err);
      }
      if (Array.isArray(entries) && entries.length > 0) request.telemetry = { entries };
    }
    return request.notifications || request.telemetry ? request : undefined;
  }

  function giveUp(batch: Sealed, request: DeliveryRequest, attempt: number, err: unknown): void {
    const count = batch.notifications.length;
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
  }

  /** Whether a failed batch is given up now rather than retried. */
  function exhausted(attempt: number, err: unknown): boolean {
    if (isFinal(err)) return true;
    return !o.retryUntilDelivered && attempt >= retries;
  }

  async function sendBatch(batch: Sealed): Promise<void> {
    const request = requestFor(batch);
    if (!request) return; // nothing worth a request
    const payload = { request, sessionId: batch.sessionId };
    for (let attempt = 0; ; attempt++) {
      try {
        await Promise.resolve().then(() => o.send(payload));
        if (abandoned) return;
        upstreamDown = false;
        counts.sent++;
        counts.sentNotifications += batch.notifications.length;
        return;
      } catch (err) {
        if (abandoned) return;
        if (exhausted(attempt, err)) return giveUp(batch, request, attempt, err);
        upstreamDown = true;
        const delay = backoffDelay(backoff, attempt, () => scheduler.random());
        if (logger.debugEnabled)
          logger.debug(`Notification send failed (attempt ${attempt + 1}); retrying in ${delay} ms`);
        try {
          await sleep(scheduler, delay, deadlineReached?.signal);
        } catch {
          return; // the close deadline passed: abandon() took the batch
        }
      }
    }
  }

  function warnDropped(reason: string): void {
    if (counts.dropped === 1 || counts.dropped % DROP_WARN_EVERY === 0) {
      logger.warn(
        `Notification queue at capacity (${maxQueued} notifications, ${maxQueuedBytes} bytes); dropped the oldest ` +
          `notifications (${counts.dropped} so far, reason: ${reason}). Each Delivery request carries one visitor: ` +
          "raise notificationConcurrency for many distinct visitors, or the capacity for long upstream outages.",
      );
    }
  }

  /** Drops the oldest queued notification (sealed batches first, then groups in arrival order). */
  function dropOldest(): boolean {
    let bytes = -1;
    // Batches before dropCursor are already empty: never rescan them (keeps dropping O(1) amortised).
    for (let i = Math.max(head, dropCursor); i < ready.length && bytes < 0; i++) {
      const batch = ready[i]!;
      if (batch.notifications.length === 0) {
        dropCursor = i + 1;
        continue;
      }
      bytes = estimateBytes(batch.notifications[0]);
      batch.notifications = batch.notifications.slice(1);
      batch.bytes -= bytes;
      if (batch.waiters) batch.waiters.dropped++;
    }
    if (bytes < 0) {
      for (const group of groups.values()) {
        if (group.notifications.length === 0) continue;
        bytes = estimateBytes(group.notifications.shift());
        group.bytes -= bytes;
        if (group.waiters) group.waiters.dropped++;
        if (group.notifications.length === 0 && !group.wantsRequest) {
          groups.delete(group.key);
          bytes += group.partsBytes;
          if (group.waiters) settleWaitersOf(group.waiters);
        }
        break;
      }
    }
    if (bytes < 0) return false;
    queued--;
    queuedBytes -= bytes;
    counts.dropped++;
    warnDropped(queued >= maxQueued ? "count" : "bytes");
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
    for (const n of notifications) {
      group.notifications.push(n);
      const bytes = estimateBytes(n);
      group.bytes += bytes;
      queuedBytes += bytes;
    }
    queued += notifications.length;
    while ((queued > maxQueued || queuedBytes > maxQueuedBytes) && dropOldest());
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
    const done = new Promise<void>((resolve, reject) => {
      group.waiters ??= { pending: 0, error: undefined, dropped: 0, list: [] };
      group.waiters.list.push({ resolve, reject });
    });
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

  /** Resolves once everything sealed before the call is done; holds the process alive meanwhile. */
  function waitForSeq(seq: number): Promise<void> {
    const release = scheduler.hold?.();
    const done = new Promise<void>((resolve) =>
      waiters.push({
        seq,
        resolve: () => {
          release?.();
          resolve();
        },
      }),
    );
    kick();
    return done;
  }

  function flush(): Promise<void> {
    cancelTimer();
    sealAll();
    return waitForSeq(nextSeq);
  }

  function saveSpool(batches: SpooledBatch[]): boolean {
    if (!o.spool) return false;
    try {
      o.spool.save(batches);
      return true;
    } catch (err) {
      logger.error("Writing the notification spool failed:", err instanceof Error ? err.message : err);
      return false;
    }
  }

  /** At the close deadline: everything unsent (queued, retrying, in flight) goes to the spool or is lost. */
  function abandon(): void {
    if (abandoned) return;
    sealAll();
    abandoned = true;
    const left: Sealed[] = [...inFlight];
    inFlight.clear();
    while (pendingReady() > 0) left.push(takeNext()!);
    const unsent = left.filter((b) => b.notifications.length > 0);
    const count = unsent.reduce((n, b) => n + b.notifications.length, 0);
    const spooled =
      count > 0 &&
      saveSpool(
        unsent.map(({ request, sessionId, notifications }) => ({ request, sessionId, notifications })),
      );
    if (spooled) counts.spooledNotifications += count;
    else counts.lostNotifications += count;
    if (count > 0) {
      logger.warn(
        spooled
          ? `Notification queue closed with ${count} notification(s) unsent; saved to the spool for the next start`
          : `Notification queue closed with ${count} notification(s) unsent and lost (no spool configured)`,
      );
    }
    for (const batch of left) {
      if (batch.waiters && batch.notifications.length > 0)
        batch.waiters.dropped += batch.notifications.length;
      settleBatch(batch);
    }
    deadlineReached?.abort();
    settleFlushWaiters();
  }

  function close(options: QueueCloseOptions = {}): Promise<void> {
    if (closing) return closing;
    closed = true;
    const deadline =
      options.deadline ??
      (o.retryUntilDelivered || o.spool ? scheduler.now() + DEFAULT_CLOSE_GRACE : undefined);
    if (deadline === undefined) return (closing = flush());
    deadlineReached = new AbortController();
    const deadlineTimer = scheduler.setTimeout(abandon, Math.max(0, deadline - scheduler.now()));
    closing = flush().then(() => deadlineTimer.cancel());
    return closing;
  }

  function loadSpool(): void {
    if (!o.spool) return;
    let batches: SpooledBatch[] = [];
    try {
      batches = o.spool.load();
    } catch (err) {
      logger.error("Reading the notification spool failed:", err instanceof Error ? err.message : err);
    }
    let count = 0;
    for (const b of batches) {
      if (!b || !Array.isArray(b.notifications) || b.notifications.length === 0) continue;
      const bytes = estimateBytes(b);
      pushReady({
        key: "",
        request: b.request ?? {},
        sessionId: b.sessionId,
        notifications: b.notifications,
        bytes,
        fromSpool: true,
      });
      spoolPending++;
      queued += b.notifications.length;
      queuedBytes += bytes;
      count += b.notifications.length;
    }
    if (count > 0) {
      logger.info(`Sending ${count} notification(s) saved to the spool by an earlier run`);
      kick();
    }
  }

  loadSpool();

  return {
    enqueue,
    enqueueAndWait,
    enqueueTelemetryOnly,
    flush,
    close,
    get size() {
      return queued;
    },
    stats: () => ({ ...counts, inFlight: inFlight.size, queued, queuedBytes, upstreamDown }),
  };
}
