/**
 * The client's calls to the Delivery API: a decision (pending telemetry rides along, and the call
 * is itself recorded) and a batch of notifications from the queue.
 */
import { performanceNow } from "../platform/clock";
import { randomId } from "../platform/ids";
import { clusterFromTntId } from "../protocol/cookies";
import type { DeliveryRequest, DeliveryResponse } from "../protocol/delivery";
import { telemetryEntryFor } from "../protocol/telemetry";
import type { CallContext } from "./call-context";
import type { ClientRuntime } from "./runtime";

/** Asks the Delivery API to decide `request`; `started` is when the getOffers call began. */
export async function deliverRemote(
  rt: ClientRuntime,
  request: DeliveryRequest,
  call: CallContext,
  started: number,
): Promise<DeliveryResponse> {
  const entries = rt.telemetry.take();
  const body = entries.length > 0 ? { ...request, telemetry: { entries } } : request;
  const result = await rt.delivery.deliver(body, { sessionId: call.sessionId, cluster: call.cluster });
  rt.telemetry.add(
    telemetryEntryFor({
      request,
      response: result.response,
      execution: performanceNow() - started,
      parsing: result.timing.parsing,
      decisioningMethod: "server-side",
      timestamp: rt.scheduler.now(),
    }),
  );
  return result.response;
}

/** Sends one batch of the notification queue (routed by the batch's own visitor, else the client's hint). */
export async function sendNotificationBatch(
  rt: ClientRuntime,
  request: DeliveryRequest,
  sessionId: string | undefined,
): Promise<void> {
  const body: DeliveryRequest = { requestId: randomId(), ...request };
  const cluster = clusterFromTntId(body.id?.tntId) ?? (rt.state.locationHint || undefined);
  const result = await rt.delivery.notify(body, { sessionId: sessionId ?? randomId(), cluster });
  if (!rt.telemetry.enabled) return;
  rt.telemetry.add(
    telemetryEntryFor({
      request: body,
      response: {},
      execution: result.timing.execution,
      decisioningMethod: "server-side",
      timestamp: rt.scheduler.now(),
    }),
  );
}
