/**
 * The queue's defaults and its options resolved once at creation: a missing or out-of-range value
 * takes the default (see src/primitives/options).
 */
import { resolveBackoff } from "../../primitives/backoff";
import { numberOption } from "../../primitives/options";
import { DELIVERY_RETRY_BACKOFF } from "../delivery-client";
import type { BufferLimits } from "./buffer";
import type { RetryPolicy } from "./retry-policy";
import type { NotificationQueueOptions } from "./types";

export const DEFAULT_BATCH_SIZE = 50;
export const DEFAULT_FLUSH_INTERVAL = 250;
export const DEFAULT_MAX_QUEUED = 10000;
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;
export const DEFAULT_NOTIFICATION_RETRIES = 3;
/** With `retryUntilDelivered`, how long close() without a deadline keeps trying. */
export const DEFAULT_CLOSE_GRACE = 10_000;
export const DEFAULT_NOTIFICATION_CONCURRENCY = 1;

/** Every option of the queue with its value resolved. */
export interface QueueSettings extends BufferLimits {
  flushInterval: number;
  concurrency: number;
  /** Telemetry is attached to requests (enabled and a `takeTelemetry` given). */
  telemetry: boolean;
  retry: RetryPolicy;
}

function intOption(value: number | undefined, fallback: number, min: number): number {
  return numberOption(value, fallback, { min, integer: true });
}

export function resolveQueueSettings(o: NotificationQueueOptions): QueueSettings {
  return {
    batchSize: intOption(o.batchSize, DEFAULT_BATCH_SIZE, 1),
    flushInterval: intOption(o.flushInterval, DEFAULT_FLUSH_INTERVAL, 0),
    maxQueued: intOption(o.maxQueued, DEFAULT_MAX_QUEUED, 1),
    maxQueuedBytes: intOption(o.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 1),
    concurrency: intOption(o.concurrency, DEFAULT_NOTIFICATION_CONCURRENCY, 1),
    telemetry: o.telemetryEnabled !== false && typeof o.takeTelemetry === "function",
    retry: {
      retries: intOption(o.retries, DEFAULT_NOTIFICATION_RETRIES, 0),
      retryUntilDelivered: Boolean(o.retryUntilDelivered),
      backoff: resolveBackoff(o.backoff, DELIVERY_RETRY_BACKOFF),
    },
  };
}
