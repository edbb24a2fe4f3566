/**
 * Telemetry entries as the Delivery API receives them in `telemetry.entries`: one per decision
 * call (`{execution, parsing?, request?, telemetryServerToken?, mode, features, requestId,
 * timestamp}`) and one per artifact download (`requestId: "ArtifactDownload"`). Times are ms,
 * rounded to two decimals (docs/target-behaviour.md#telemetry).
 */
import type { DeliveryRequest, DeliveryResponse, TelemetryEntry } from "./delivery";

export const ARTIFACT_DOWNLOAD_REQUEST_ID = "ArtifactDownload";

/**
 * Rounds to 2 decimals; non-numbers → undefined. Binary rounding (no decimal text): a value a hair
 * below a tie may round up where `toFixed` rounds down, a difference of 0.01 ms in a timing.
 */
export function round2(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  return Math.round(value * 100) / 100;
}

/** Network timings of one HTTP call when the HTTP layer can report them (all in ms / bytes). */
export interface RequestTimings {
  dns?: number;
  tls?: number;
  timeToFirstByte?: number;
  download?: number;
  responseSize?: number;
}

function roundTimings(t: RequestTimings): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ["dns", "tls", "timeToFirstByte", "download", "responseSize"] as const) {
    const v = round2(t[key]);
    if (v) out[key] = v;
  }
  return out;
}

/** The request features the reference counts: only present when true / non-zero. */
export function telemetryFeatures(request: DeliveryRequest, decisioningMethod: string): Record<string, unknown> {
  const features: Record<string, unknown> = {};
  const execute = request.execute;
  const prefetch = request.prefetch;
  if (execute && execute.pageLoad) features.executePageLoad = true;
  const executeMboxes = Array.isArray(execute?.mboxes) ? execute!.mboxes!.length : 0;
  if (executeMboxes) features.executeMboxCount = executeMboxes;
  if (prefetch && prefetch.pageLoad) features.prefetchPageLoad = true;
  const prefetchMboxes = Array.isArray(prefetch?.mboxes) ? prefetch!.mboxes!.length : 0;
  if (prefetchMboxes) features.prefetchMboxCount = prefetchMboxes;
  const prefetchViews = Array.isArray(prefetch?.views) ? prefetch!.views!.length : 0;
  if (prefetchViews) features.prefetchViewCount = prefetchViews;
  features.decisioningMethod = decisioningMethod;
  return features;
}

export interface DeliveryTelemetryInput {
  /** The request of this call (its `requestId` and the counted features). */
  request: DeliveryRequest;
  /** The response of this call (`edgeHost` → mode "edge", `telemetryServerToken`). */
  response: DeliveryResponse;
  /** Overrides the mode derived from the response. */
  mode?: "edge" | "local";
  /** Total time of the call, ms. */
  execution: number;
  /** Response parsing time, ms (remote calls only). */
  parsing?: number;
  /** HTTP timings, when the HTTP layer reported them. */
  requestTimings?: RequestTimings;
  /** "server-side" | "on-device" (the method actually used). */
  decisioningMethod: string;
  /** Epoch ms; the caller reads its scheduler. */
  timestamp: number;
}

/**
 * The telemetry entry for one getOffers / sendNotifications call:
 * `{execution, parsing?, request?, telemetryServerToken?, mode, features, requestId, timestamp}`.
 */
export function telemetryEntryFor(input: DeliveryTelemetryInput): TelemetryEntry {
  const entry: TelemetryEntry = { execution: round2(input.execution) ?? 0 };
  const parsing = round2(input.parsing);
  if (parsing !== undefined) entry.parsing = parsing;
  if (input.requestTimings) entry.request = roundTimings(input.requestTimings);
  const token = input.response?.telemetryServerToken;
  if (typeof token === "string" && token.length > 0) entry.telemetryServerToken = token;
  entry.mode = input.mode ?? (input.response?.edgeHost ? "edge" : "local");
  entry.features = telemetryFeatures(input.request ?? {}, input.decisioningMethod);
  entry.requestId = input.request?.requestId;
  entry.timestamp = input.timestamp;
  return entry;
}

/** The telemetry entry for an artifact download: `{execution, parsing?, requestId: "ArtifactDownload", timestamp}`. */
export function artifactTelemetryEntry(input: {
  execution: number;
  parsing?: number;
  requestTimings?: RequestTimings;
  timestamp: number;
}): TelemetryEntry {
  const entry: TelemetryEntry = { execution: round2(input.execution) ?? 0 };
  const parsing = round2(input.parsing);
  if (parsing !== undefined) entry.parsing = parsing;
  if (input.requestTimings) entry.request = roundTimings(input.requestTimings);
  entry.requestId = ARTIFACT_DOWNLOAD_REQUEST_ID;
  entry.timestamp = input.timestamp;
  return entry;
}
