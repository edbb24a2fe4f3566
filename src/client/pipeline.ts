/**
 * The decisioning pipeline of getOffers and sendNotifications: validate, build the call context,
 * route by decisioning method (on-device, server-side, hybrid), decide, assemble the result.
 *
 * Routing: a server-side call goes to the Delivery API. An on-device call needs a usable artifact
 * (loaded, and not older than `maximumArtifactAge` when that is set) and fails with a coded error
 * without one. A hybrid call decides locally what the artifact can decide; without a usable
 * artifact it goes remote as a whole. With `hybridMode: "whole"` a hybrid call that needs the
 * remote side at all goes remote as a whole, as the reference does.
 */
import type { LoadedArtifact } from "../artifact/types";
import type { CompiledArtifact } from "../engine/compile";
import { remoteDependency, type RemoteDependency } from "../engine/remote-dependency";
import { DecisioningError, toDecisioningError } from "../errors";
import { performanceNow } from "../platform/clock";
import type { DeliveryRequest, DeliveryResponse, Geo } from "../protocol/delivery";
import { createCallContext, normalizeCallRequest, type CallContext } from "./call-context";
import type { GetOffersOptions } from "./call-options";
import { mergeResponses, splitRequest } from "./hybrid";
import { decideLocally, geoFor, recordLocal } from "./local";
import { DECISIONING_METHODS } from "./options";
import { deliverRemote } from "./remote-calls";
import { validateGetOffersOptions, validateSendNotificationsOptions } from "./request";
import { artifactFreshness, assembleResult, type GetOffersResult, type ResultInput } from "./result";
import { usesArtifact, type ClientRuntime } from "./runtime";

type Loaded = LoadedArtifact<CompiledArtifact>;

/** One call on its way through the pipeline. */
interface Call {
  options: GetOffersOptions;
  request: DeliveryRequest;
  context: CallContext;
  /** performanceNow() when the call began, and the ms spent validating and normalising. */
  timing: { started: number; parsing: number };
}

export function assertOpen(rt: ClientRuntime): void {
  if (rt.state.closing) throw new DecisioningError("ODE_ERR_CLOSED", "The client is closed");
}

/**
 * Assembles the result. The edge host that answered a call the client routed itself becomes the
 * client's location hint; a visitor's cookie or per-call hint, and the edgeHost answered to a call
 * it routed, stay with that call (the reference makes both sticky for every later visitor).
 */
function finish(rt: ClientRuntime, input: ResultInput): GetOffersResult {
  const { result, edgeCluster } = assembleResult(input, rt.options.organizationId, rt.scheduler.now());
  if (edgeCluster && !input.call.clusterFromVisitor) rt.state.locationHint = edgeCluster;
  return result;
}

function freshness(rt: ClientRuntime, loaded: Loaded | undefined) {
  return loaded ? artifactFreshness(loaded, rt.scheduler.now()) : undefined;
}

function beginCall(rt: ClientRuntime, options: GetOffersOptions, started: number): Call {
  const context = createCallContext(options, rt.scheduler.now(), rt.state.locationHint);
  const defaults = { propertyToken: rt.options.propertyToken, environmentId: rt.options.environmentId };
  const request = normalizeCallRequest(options, context, defaults, rt.log);
  return { options, request, context, timing: { started, parsing: performanceNow() - started } };
}

/** The artifact in use, and whether it may decide (it may not when older than maximumArtifactAge). */
function artifactFor(
  rt: ClientRuntime,
  now: number,
): { loaded: Loaded | undefined; usable: Loaded | undefined } {
  const loaded = rt.manager?.current();
  const tooOld =
    loaded !== undefined && rt.options.maximumArtifactAge !== undefined && !rt.manager!.isFresh(now);
  return { loaded, usable: tooOld ? undefined : loaded };
}

function notUsable(loaded: Loaded | undefined): DecisioningError {
  return loaded
    ? new DecisioningError(
        "ODE_ERR_ARTIFACT_STALE",
        "Unable to fulfill request; the decisioning artifact is too old.",
      )
    : new DecisioningError("ODE_ERR_NOT_READY", "Unable to fulfill request; decisioning engine not ready.");
}

function assertSupported(compiled: CompiledArtifact): void {
  if (compiled.versionSupported) return;
  throw new DecisioningError(
    "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
    `The decisioning artifact version (${compiled.version}) is not supported. This library is compatible with this major version: 1`,
  );
}

/**
 * getOffers: one promise per call. An on-device decision that needs no geo lookup (the common
 * case) is made synchronously and returned as an already-resolved promise; errors become rejections.
 */
export function getOffers(rt: ClientRuntime, options: GetOffersOptions): Promise<GetOffersResult> {
  try {
    const result = route(rt, options);
    return result instanceof Promise ? result : Promise.resolve(result);
  } catch (err) {
    return Promise.reject(err);
  }
}

function route(rt: ClientRuntime, options: GetOffersOptions): GetOffersResult | Promise<GetOffersResult> {
  assertOpen(rt);
  validateGetOffersOptions(options);
  const started = performanceNow();
  const method = options.decisioningMethod ?? rt.options.decisioningMethod;
  if (!DECISIONING_METHODS.includes(method)) {
    throw new DecisioningError("ODE_ERR_INVALID_REQUEST", `Invalid decisioningMethod: ${String(method)}`);
  }
  const call = beginCall(rt, options, started);
  const { loaded, usable } = artifactFor(rt, call.context.now);
  if (!usesArtifact(method) || !usable) {
    if (usesArtifact(method) && method !== "hybrid") throw notUsable(loaded);
    return decideRemotely(rt, call, loaded, loaded && remoteDependency(loaded.compiled, call.request));
  }
  assertSupported(usable.compiled);
  const dependency = remoteDependency(usable.compiled, call.request);
  if (method === "on-device" || !dependency.remoteNeeded) return decideOnDevice(rt, call, usable, dependency);
  if (rt.options.hybridMode === "whole") return decideRemotely(rt, call, usable, dependency);
  return decideHybrid(rt, call, usable, dependency);
}

async function decideRemotely(
  rt: ClientRuntime,
  call: Call,
  loaded: Loaded | undefined,
  dependency: RemoteDependency | undefined,
): Promise<GetOffersResult> {
  const response = await deliverRemote(rt, call.request, call.context, call.timing.started);
  // meta.artifact also on remote answers: it tells why a hybrid call went remote (e.g. too old).
  return finish(rt, {
    request: call.request,
    response,
    call: call.context,
    method: "server-side",
    dependency,
    artifact: freshness(rt, loaded),
  });
}

function decideOnDevice(
  rt: ClientRuntime,
  call: Call,
  loaded: Loaded,
  dependency: RemoteDependency,
): GetOffersResult | Promise<GetOffersResult> {
  const pending = geoFor(rt, call.request, loaded.compiled);
  if (pending instanceof Promise) return pending.then((geo) => decideOnDeviceWithGeo(rt, call, loaded, dependency, geo));
  return decideOnDeviceWithGeo(rt, call, loaded, dependency, pending);
}

function decideOnDeviceWithGeo(
  rt: ClientRuntime,
  call: Call,
  loaded: Loaded,
  dependency: RemoteDependency,
  geo: Geo | undefined,
): GetOffersResult {
  const response = decideLocally(rt, call.request, loaded, call.context, call.options, geo, dependency);
  recordLocal(rt, call.request, response, call.timing);
  return finish(rt, {
    request: call.request,
    response,
    call: call.context,
    method: "on-device",
    dependency,
    artifact: freshness(rt, loaded),
  });
}

/** Decides the local part on-device, sends the rest in one remote call, merges in request order. */
async function decideHybrid(
  rt: ClientRuntime,
  call: Call,
  loaded: Loaded,
  dependency: RemoteDependency,
): Promise<GetOffersResult> {
  const split = splitRequest(call.request, dependency);
  const pending = geoFor(rt, split.local, loaded.compiled);
  const geo = pending instanceof Promise ? await pending : pending;
  const local = decideLocally(rt, split.local, loaded, call.context, call.options, geo);
  let remote: DeliveryResponse | undefined;
  let remoteError: DecisioningError | undefined;
  if (split.remote) {
    try {
      // Same request id and visitor ids as the local part (a generated tntId included).
      remote = await deliverRemote(rt, { ...split.remote, id: local.id }, call.context, call.timing.started);
    } catch (err) {
      remoteError = toDecisioningError(err);
      rt.log.warn("hybrid: the remote part failed; returning the local part", remoteError.code);
    }
  }
  const merged = mergeResponses(call.request, dependency, local, remote);
  recordLocal(rt, split.local, local, call.timing);
  const result = finish(rt, {
    request: call.request,
    response: merged,
    call: call.context,
    method: "hybrid",
    dependency,
    artifact: freshness(rt, loaded),
  });
  if (remoteError) {
    result.meta.remoteError = {
      code: remoteError.code,
      message: remoteError.message,
      ...(remoteError.status !== undefined ? { status: remoteError.status } : {}),
    };
  }
  return result;
}

/** Queues the caller's notifications, flushes, and resolves once their batch was delivered. */
export async function sendNotifications(
  rt: ClientRuntime,
  options: GetOffersOptions,
): Promise<GetOffersResult> {
  assertOpen(rt);
  validateSendNotificationsOptions(options, rt.telemetry.size > 0);
  const { request, context } = beginCall(rt, options, performanceNow());
  const delivered = rt.queue.enqueueAndWait({
    request: {
      id: request.id,
      context: request.context,
      experienceCloud: request.experienceCloud,
      property: request.property,
    },
    sessionId: context.sessionId,
    notifications: request.notifications ?? [],
  });
  void rt.queue.flush();
  await delivered; // rejects with ODE_ERR_NOTIFICATION_FAILED when the batch is given up, as the reference rejects
  return finish(rt, {
    request,
    response: { status: 200, id: request.id },
    call: context,
    method: "server-side",
    dependency: undefined,
  });
}

/** One server-side call at start: its answer's edge host gives the client its location hint. */
export function pingLocationHint(rt: ClientRuntime): void {
  getOffers(rt, {
    sessionId: "ping123",
    decisioningMethod: "server-side",
    request: { context: { channel: "web" } },
  }).then(
    () => undefined,
    (err: unknown) => rt.log.debug("location hint request failed", toDecisioningError(err).code),
  );
}
