/**
 * The notification queue's public types: what callers enqueue, the options, the stats and the spool
 * port. Re-exported by src/remote/notification-queue.ts, the module other layers import.
 */
import type { DecisioningError } from "../../errors";
import type {
  Context,
  DeliveryRequest,
  Notification,
  TelemetryEntry,
  VisitorId,
} from "../../protocol/delivery";
import type { SafeLogger } from "../../logger";
import type { Scheduler } from "../../platform/scheduler";
import type { BackoffOptions } from "../../primitives/backoff";

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
  /**
   * A second part of `batchKey`, computed only when another item with the same `batchKey` waits
   * (the client puts the visitor in `batchKey` and the context here: a new visitor per call, the
   * common case, never builds the longer context key). Items share a request only when both parts
   * are equal.
   */
  batchContextKey?: () => string;
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
