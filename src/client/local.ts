/**
 * Local (on-device) decisions: resolve the request's geo, run the engine, queue the display
 * notifications the decision produced, and record telemetry.
 */
import type { LoadedArtifact } from "../artifact/types";
import type { CompiledArtifact } from "../engine/compile";
import { decide, prepareDecisionRequest } from "../engine/decide";
import type { RemoteDependency } from "../engine/remote-dependency";
import { performanceNow } from "../platform/clock";
import { randomId } from "../platform/ids";
import type { DeliveryRequest, DeliveryResponse, Geo } from "../protocol/delivery";
import { telemetryEntryFor } from "../protocol/telemetry";
import { notificationBatchKey, notificationContextKey, type CallContext } from "./call-context";
import type { GetOffersOptions } from "./call-options";
import type { QueuedRequestParts } from "../remote/notification-queue";
import type { ClientRuntime } from "./runtime";

/** The request's geo: synchronous when no IP lookup is needed (the common case). */
export function geoFor(
  rt: ClientRuntime,
  request: DeliveryRequest,
  compiled: CompiledArtifact,
): Geo | undefined | Promise<Geo | undefined> {
  const geo = request.context?.geo as Geo | undefined;
  const prepared = rt.geo.prepare(geo, { lookup: compiled.geoTargetingEnabled });
  return prepared.lookup ? rt.geo.resolve(geo, { lookup: true }) : prepared.geo;
}

/** The `artifact` object traces show: where the artifact came from, its version and meta. */
function traceArtifact(rt: ClientRuntime, loaded: LoadedArtifact<CompiledArtifact>): Record<string, unknown> {
  return {
    artifactLocation: loaded.source === "payload" ? "Not Applicable" : loaded.location,
    pollingInterval: rt.options.pollingInterval,
    pollingHalted: false,
    artifactVersion: loaded.version,
    artifactRetrievalCount: loaded.retrievalCount,
    artifactLastRetrieved: new Date(loaded.retrievedAt).toISOString(),
    ...(rt.state.firstArtifactMeta ?? loaded.artifact.meta ?? {}),
  };
}

/** Queues the decision's display notifications (or, with telemetry on, a telemetry-only item). */
function queueNotifications(
  rt: ClientRuntime,
  validated: DeliveryRequest,
  call: CallContext,
  options: GetOffersOptions,
  notifications: NonNullable<DeliveryRequest["notifications"]>,
): void {
  const send = notifications.length > 0 && rt.options.notificationsEnabled;
  if (!send && !rt.options.telemetryEnabled) return;
  const request: QueuedRequestParts = {
    id: validated.id,
    context: validated.context,
    experienceCloud: validated.experienceCloud,
  };
  if (validated.property) request.property = validated.property;
  const sessionId = call.sessionId;
  const batchKey = notificationBatchKey(validated, call, options);
  const batchContextKey = () => notificationContextKey(validated);
  if (send) rt.queue.enqueue({ request, sessionId, batchKey, batchContextKey, notifications });
  else rt.queue.enqueueTelemetryOnly({ request, sessionId, batchKey, batchContextKey });
}

/**
 * Decides `request` on-device with the loaded artifact and the request's resolved geo (see
 * {@link geoFor}). `dependency` is passed on when the caller already computed it for this request
 * and artifact.
 */
export function decideLocally(
  rt: ClientRuntime,
  request: DeliveryRequest,
  loaded: LoadedArtifact<CompiledArtifact>,
  call: CallContext,
  options: GetOffersOptions,
  geo: Geo | undefined,
  dependency?: RemoteDependency,
): DeliveryResponse {
  const validated = prepareDecisionRequest(
    request,
    options.targetLocationHint || rt.state.locationHint,
    randomId,
    geo as Record<string, unknown> | undefined,
  );
  const decision = decide(loaded.compiled, validated, {
    client: rt.options.client,
    now: rt.scheduler.now(),
    uuid: randomId,
    sessionId: call.sessionId,
    traceArtifact: validated.trace !== undefined ? traceArtifact(rt, loaded) : undefined,
    ...(dependency ? { dependency } : {}),
  });
  reportRuleErrors(rt, decision);
  queueNotifications(rt, validated, call, options, decision.notifications);
  return decision.response;
}

/**
 * One line per decision, whatever the number of rules: conditions stopped by their evaluation
 * budget are a problem of the artifact worth a warning; other throwing conditions are the
 * reference's behaviour for odd request data (debug).
 */
function reportRuleErrors(rt: ClientRuntime, decision: { ruleErrors: number; budgetExceeded: number }): void {
  if (decision.budgetExceeded > 0) {
    rt.state.conditionsOverBudget += decision.budgetExceeded;
    rt.log.warn(
      `${decision.budgetExceeded} rule condition(s) exceeded their evaluation budget and did not match (ODE_ERR_CONDITION_BUDGET)`,
    );
  }
  const others = decision.ruleErrors - decision.budgetExceeded;
  if (others > 0) rt.log.debug(`${others} rule condition(s) threw and did not match`);
}

/** Records the telemetry entry of a local decision. */
export function recordLocal(
  rt: ClientRuntime,
  request: DeliveryRequest,
  response: DeliveryResponse,
  timing: { started: number; parsing: number },
): void {
  if (!rt.telemetry.enabled) return;
  rt.telemetry.add(
    telemetryEntryFor({
      request,
      response,
      mode: "local",
      execution: performanceNow() - timing.started,
      parsing: timing.parsing,
      decisioningMethod: "on-device",
      timestamp: rt.scheduler.now(),
    }),
  );
}
