/** The Delivery request of a sealed batch: its visitor's parts, its notifications, pending telemetry. */
import type { SafeLogger } from "../../logger";
import type { DeliveryRequest, TelemetryEntry } from "../../protocol/delivery";
import type { QueuedNotificationBatch } from "./types";

/**
 * Builds the request; `takeTelemetry` (absent when telemetry is off) gives the entries to attach.
 * Undefined when the request would carry neither notifications nor telemetry.
 */
export function deliveryRequestFor(
  batch: QueuedNotificationBatch,
  takeTelemetry: (() => TelemetryEntry[]) | undefined,
  logger: SafeLogger,
): DeliveryRequest | undefined {
  const request: DeliveryRequest = { ...batch.request };
  if (batch.notifications.length > 0) request.notifications = batch.notifications;
  if (takeTelemetry) {
    let entries: TelemetryEntry[] = [];
    try {
      entries = takeTelemetry() ?? [];
    } catch (err) {
      logger.error("takeTelemetry threw:", err);
    }
    if (Array.isArray(entries) && entries.length > 0) request.telemetry = { entries };
  }
  return request.notifications || request.telemetry ? request : undefined;
}
