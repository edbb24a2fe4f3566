/**
 * `on-device-decisioning/engine`: the decision engine alone, for embedded and edge use. Compile an
 * artifact once, then decide synchronously per request: no I/O, no timers, no client. The caller
 * sends the returned notifications (one Delivery API request per decision that has any) when and
 * how it likes. Decisions are the same as `TargetClient#getOffers` on-device.
 *
 * @example
 * import { compile, decide } from "on-device-decisioning/engine";
 * const compiled = compile(JSON.parse(artifactText));
 * const { response, notifications } = decide(compiled, deliveryRequest, { client: "acme" });
 */
import { randomId } from "../platform/ids";
import { DecisioningError } from "../errors";
import type { Artifact } from "../artifact/schema";
import { compileArtifact, type CompiledArtifact } from "./compile";
import { decide as decideValidated } from "./decide";
import { prepareRequest } from "./prepare";
import type { DeliveryRequest, DeliveryResponse, Notification } from "../protocol/delivery";

export type { CompiledArtifact } from "./compile";
export type { DeliveryRequest, DeliveryResponse, Notification } from "../protocol/delivery";

/**
 * Compiles an artifact (the parsed JSON of `rules.json`). Throws a `DecisioningError`:
 * `ODE_ERR_ARTIFACT_INVALID`, `ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR`, or
 * `ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED` for a major version other than 1.
 */
export function compile(artifact: unknown): CompiledArtifact {
  const compiled = compileArtifact(artifact as Artifact);
  if (!compiled.versionSupported) {
    throw new DecisioningError(
      "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
      `The decisioning artifact version (${compiled.version}) is not supported. This library is compatible with this major version: 1`,
    );
  }
  return compiled;
}

export interface EngineDecideOptions {
  /** The Target client code (part of every allocation). */
  client: string;
  /** Epoch milliseconds of the decision. Default: `Date.now()`. */
  now?: number;
  /** Id generator (32 hex chars): generated tntId, requestId, notification ids. Default: a CSPRNG-backed v4 UUID. */
  uuid?: () => string;
  /** Location hint appended to a generated tntId (`<uuid>.<hint>_0`). */
  targetLocationHint?: string;
  /** The property token of requests that carry none. */
  propertyToken?: string;
  /** Replaces `context.geo` (e.g. your own IP lookup); the engine does no lookup. */
  geo?: Record<string, unknown>;
  /** Shown in traces (`request.trace`) only. */
  sessionId?: string;
}

export interface EngineDecision {
  /** The Delivery API response, as `getOffers` returns it in `result.response` (status 206 when something is remote). */
  response: DeliveryResponse & { status: number };
  /** Display notifications of the execute decisions, to send in one Delivery request (empty: nothing to send). */
  notifications: Notification[];
  /** The checked and normalised request the decision was made on: its `id`, `context` and `property` go with the notifications. */
  request: DeliveryRequest;
  /** Requested mboxes and views the artifact cannot decide (they are absent from the response). */
  remoteMboxes: string[];
  remoteViews: string[];
}

/**
 * Decides a Delivery request (`execute` and/or `prefetch`) on a compiled artifact. Bad input throws
 * `DecisioningError` `ODE_ERR_INVALID_REQUEST`; mboxes without a name are ignored, as by getOffers.
 */
export function decide(
  compiled: CompiledArtifact,
  request: DeliveryRequest,
  options: EngineDecideOptions,
): EngineDecision {
  if (
    options === null ||
    typeof options !== "object" ||
    typeof options.client !== "string" ||
    options.client === ""
  ) {
    throw new DecisioningError(
      "ODE_ERR_INVALID_REQUEST",
      "options.client (the Target client code) is required",
    );
  }
  const uuid = options.uuid ?? randomId;
  const prepared = prepareRequest(request, {
    uuid,
    targetLocationHint: options.targetLocationHint,
    geo: options.geo,
    propertyToken: options.propertyToken,
  });
  const decision = decideValidated(compiled, prepared, {
    client: options.client,
    now: options.now ?? Date.now(),
    uuid,
    sessionId: options.sessionId,
    traceArtifact: prepared.trace !== undefined ? traceArtifact(compiled) : undefined,
  });
  return {
    response: decision.response,
    notifications: decision.notifications,
    request: prepared,
    remoteMboxes: decision.dependency.remoteMboxes,
    remoteViews: decision.dependency.remoteViews,
  };
}

/** The `artifact` block of a trace for an artifact given in-process. */
function traceArtifact(compiled: CompiledArtifact): Record<string, unknown> {
  return {
    artifactLocation: "Not Applicable",
    pollingInterval: 0,
    pollingHalted: true,
    artifactVersion: compiled.version,
    ...(compiled.artifact.meta ?? {}),
  };
}
