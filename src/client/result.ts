/**
 * Result assembly: the getOffers result the reference returns (request, response, cookies,
 * visitor state and the details collected from the response) plus `meta`, which says how the
 * call was decided. Pure: the clock and the organization id are parameters.
 */
import type { LoadedArtifact } from "../artifact/types";
import type { RemoteDependency } from "../engine/remote-dependency";
import {
  clusterFromEdgeHost,
  createLocationHintCookie,
  createTargetCookie,
  type Cookie,
} from "../protocol/cookies";
import type { DeliveryRequest, DeliveryResponse } from "../protocol/delivery";
import type { DecisioningMethod } from "./options";

export type { Cookie };

export interface ArtifactFreshness {
  version: string;
  generatedAt?: string;
  etag?: string;
  retrievedAt: number;
  ageMs: number;
  source: string;
}

export interface ResultMeta {
  decisioningMethod: DecisioningMethod;
  remoteMboxes: string[];
  remoteViews: string[];
  /** Which artifact decided the local part, and how old it is. */
  artifact?: ArtifactFreshness;
  /** Set when the remote part of a hybrid call failed; the local part is still returned. */
  remoteError?: { code: string; message: string; status?: number };
}

/** The SDK-shaped result of getOffers: the reference's keys (empty ones left out) plus `meta`. */
export interface GetOffersResult {
  visitorState?: Record<string, unknown>;
  request: DeliveryRequest;
  response: DeliveryResponse;
  targetCookie?: Cookie;
  targetLocationHintCookie?: Cookie;
  analyticsDetails?: Record<string, unknown>[];
  trace?: Record<string, unknown>[];
  responseTokens?: Record<string, unknown>[];
  meta: ResultMeta;
}

function isNonEmptyObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return true; // no key array per call
  return false;
}

type Item = { analytics?: unknown; trace?: unknown; options?: { responseTokens?: unknown }[] } | undefined;

/** The items of a response in the reference's order: execute pageLoad, execute mboxes, prefetch pageLoad, views, mboxes. */
function responseItems(response: DeliveryResponse): Item[] {
  const items: Item[] = [];
  const e = response.execute ?? {};
  const p = response.prefetch ?? {};
  items.push(e.pageLoad as Item);
  if (Array.isArray(e.mboxes)) items.push(...(e.mboxes as Item[]));
  items.push(p.pageLoad as Item);
  if (Array.isArray(p.views)) items.push(...(p.views as Item[]));
  if (Array.isArray(p.mboxes)) items.push(...(p.mboxes as Item[]));
  return items;
}

export function collectDetails(response: DeliveryResponse): {
  analyticsDetails?: Record<string, unknown>[];
  trace?: Record<string, unknown>[];
  responseTokens?: Record<string, unknown>[];
} {
  const details: ReturnType<typeof collectDetails> = {};
  addDetails(details, response);
  return details;
}

/** Sets the details of `response` (analytics, traces, response tokens) on `out`, leaving out empty lists. */
function addDetails(
  out: Pick<GetOffersResult, "analyticsDetails" | "trace" | "responseTokens">,
  response: DeliveryResponse,
): void {
  const analytics: Record<string, unknown>[] = [];
  const traces: Record<string, unknown>[] = [];
  const tokens: Record<string, unknown>[] = [];
  for (const item of responseItems(response)) {
    if (!item) continue;
    if (isNonEmptyObject(item.analytics)) analytics.push(item.analytics);
    if (isNonEmptyObject(item.trace)) traces.push(item.trace);
    if (Array.isArray(item.options)) {
      for (const option of item.options) {
        if (isNonEmptyObject(option?.responseTokens)) tokens.push(option.responseTokens);
      }
    }
  }
  if (analytics.length > 0) out.analyticsDetails = analytics;
  if (traces.length > 0) out.trace = traces;
  if (tokens.length > 0) out.responseTokens = tokens;
}

/** Which artifact decided, and how old it is at `now`. */
export function artifactFreshness(loaded: LoadedArtifact<unknown>, now: number): ArtifactFreshness {
  const out: Partial<ArtifactFreshness> = { version: loaded.version };
  if (loaded.generatedAt !== undefined) out.generatedAt = loaded.generatedAt;
  if (loaded.etag !== undefined) out.etag = loaded.etag;
  out.retrievedAt = loaded.retrievedAt;
  out.ageMs = Math.max(0, now - loaded.retrievedAt);
  out.source = loaded.source;
  return out as ArtifactFreshness;
}

/** The `visitorState` of a result: the request's SDID and customer ids, keyed by organization. */
export function visitorState(request: DeliveryRequest, organizationId: string): Record<string, unknown> {
  const analytics = (request.experienceCloud?.analytics ?? {}) as { supplementalDataId?: string };
  const state: Record<string, unknown> = {};
  if (analytics.supplementalDataId) {
    state.sdid = { supplementalDataIDCurrent: analytics.supplementalDataId };
  }
  const customerIds = request.id?.customerIds;
  if (customerIds && customerIds.length > 0) {
    state.customerIDs = Object.fromEntries(
      customerIds
        .filter((c) => c.integrationCode)
        .map((c) => [c.integrationCode, { id: c.id, authState: c.authenticatedState }]),
    );
  }
  return { [organizationId]: state };
}

export interface ResultInput {
  request: DeliveryRequest;
  response: DeliveryResponse;
  /** The call's session id and edge cluster (see CallContext). */
  call: { sessionId: string; cluster: string | undefined; clusterFromVisitor?: boolean };
  method: DecisioningMethod;
  /** What the artifact could not decide; undefined when no artifact was consulted. */
  dependency: RemoteDependency | undefined;
  /** The artifact consulted, if any (also on remote answers: it tells why a hybrid call went remote). */
  artifact?: ArtifactFreshness;
}

/** Builds the getOffers result; `edgeCluster` is the cluster of the edge host that answered, if any. */
export function assembleResult(
  input: ResultInput,
  organizationId: string,
  now: number,
): { result: GetOffersResult; edgeCluster: string | undefined } {
  const { request, response, call, dependency } = input;
  const meta: ResultMeta = {
    decisioningMethod: input.method,
    // Copies: the engine may share one frozen empty list between decisions; the caller's are its own.
    remoteMboxes: dependency ? [...dependency.remoteMboxes] : [],
    remoteViews: dependency ? [...dependency.remoteViews] : [],
  };
  if (input.artifact) meta.artifact = input.artifact;
  const targetCookie = createTargetCookie({
    sessionId: call.sessionId,
    tntId: response.id?.tntId,
    nowMs: now,
  });
  const edgeCluster = clusterFromEdgeHost(response.edgeHost);
  const locationHintCookie = createLocationHintCookie(call.cluster ?? edgeCluster);
  // Keys in the order callers see them: visitorState, request, cookies, details, meta, response.
  const result = { visitorState: visitorState(request, organizationId), request, targetCookie } as GetOffersResult;
  if (locationHintCookie) result.targetLocationHintCookie = locationHintCookie;
  addDetails(result, response);
  result.meta = meta;
  result.response = response;
  return { result, edgeCluster };
}
