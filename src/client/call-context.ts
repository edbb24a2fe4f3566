/**
 * The call context: what one getOffers / sendNotifications call knows about its visitor before any
 * decision. The mbox cookie gives the session and device ids, the AMCV cookie the ECID and
 * Audience Manager values, the options the customer ids, and the cookie or configured location
 * hint the edge cluster. The caller's request is normalised into a new Delivery request.
 */
import type { SafeLogger } from "../logger";
import { randomId, randomSupplementalDataId } from "../platform/ids";
import { clusterFromTntId, parseTargetCookie, parseVisitorCookie } from "../protocol/cookies";
import type { CustomerId, DeliveryRequest } from "../protocol/delivery";
import type { GetOffersOptions } from "./call-options";
import { ADDRESS_KEYS, CONTEXT_KEYS, GEO_KEYS, normalizeRequest } from "./request";

export interface CallContext {
  now: number;
  deviceId: string | undefined;
  cluster: string | undefined;
  /**
   * The cluster came from this visitor (the tntId suffix in their mbox cookie, or a per-call
   * targetLocationHint), not from the client: the edgeHost answered to this call must then not
   * become the client's location hint, or one visitor would move every later visitor's traffic.
   */
  clusterFromVisitor: boolean;
  sessionId: string;
  /** The session id came from the mbox cookie or the sessionId option (not generated here). */
  sessionSupplied: boolean;
}

/** Client settings the normalised request takes its defaults from. */
export interface RequestDefaults {
  propertyToken: string | undefined;
  environmentId: number | undefined;
}

const AUTH_STATES: Record<string, string> = { "0": "unknown", "1": "authenticated", "2": "logged_out" };

/** Reads the visitor's cookies and the call's options; `locationHint` is the client's current one. */
export function createCallContext(
  options: GetOffersOptions,
  now: number,
  locationHint: string | undefined,
): CallContext {
  const cookies = parseTargetCookie(options.targetCookie, now);
  const visitorCluster = clusterFromTntId(cookies.PC) ?? (options.targetLocationHint || undefined);
  const cluster = visitorCluster ?? (locationHint || undefined);
  const supplied = cookies.session || (options.sessionId ? String(options.sessionId) : "");
  const sessionId = supplied || randomId();
  return {
    now,
    deviceId: cookies.PC,
    cluster,
    clusterFromVisitor: visitorCluster !== undefined,
    sessionId,
    sessionSupplied: supplied !== "",
  };
}

/** The SDK's `customerIds` map (`{ code: id | { id, authState } }`) as Delivery API customer ids. */
export function convertCustomerIds(input: GetOffersOptions["customerIds"]): CustomerId[] | undefined {
  if (!input || typeof input !== "object") return undefined;
  const out: CustomerId[] = [];
  for (const [integrationCode, value] of Object.entries(input)) {
    if (!value) continue;
    if (typeof value === "object") {
      const authenticatedState = AUTH_STATES[String(value.authState)];
      out.push({
        ...(value.id ? { id: value.id } : {}),
        ...(integrationCode ? { integrationCode } : {}),
        ...(authenticatedState ? { authenticatedState } : {}),
      });
    } else {
      out.push({ id: String(value), integrationCode, authenticatedState: "unknown" });
    }
  }
  return out.length > 0 ? out : undefined;
}

function audienceManager(visitor: ReturnType<typeof parseVisitorCookie>) {
  const locationHint = visitor.MCAAMLH !== undefined ? parseInt(visitor.MCAAMLH, 10) : undefined;
  if (!visitor.MCMID && !visitor.MCAAMB && locationHint === undefined) return undefined;
  return {
    ...(locationHint !== undefined && !Number.isNaN(locationHint) ? { locationHint } : {}),
    ...(visitor.MCAAMB ? { blob: visitor.MCAAMB } : {}),
  };
}

/** The caller's request, normalised and completed with this call's visitor ids. Input is not modified. */
export function normalizeCallRequest(
  options: GetOffersOptions,
  call: CallContext,
  defaults: RequestDefaults,
  log: SafeLogger,
): DeliveryRequest {
  const visitor = parseVisitorCookie(options.visitorCookie);
  const request = options.request;
  const token = (request.property && request.property.token) || defaults.propertyToken;
  const withProperty = token ? { ...request, property: { ...(request.property ?? {}), token } } : request;
  return normalizeRequest(
    withProperty,
    {
      deviceId: call.deviceId,
      marketingCloudVisitorId: visitor.MCMID,
      customerIds: convertCustomerIds(options.customerIds),
      supplementalDataId: randomSupplementalDataId(),
      audienceManager: audienceManager(visitor),
      environmentId: defaults.environmentId,
      requestId: randomId(),
    },
    log,
  );
}

/**
 * One component of a batch key: type-tagged and length-prefixed, so that distinct values never
 * give the same text. Objects (rare in a context: screen, window, client hints …) fall back to JSON.
 */
function keyPart(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "u";
    case "string":
      return `s${value.length}:${value}`;
    case "number":
      return `n${value};`;
    case "boolean":
      return value ? "t" : "f";
    default: {
      if (value === null) return "l";
      const json = JSON.stringify(value) ?? "";
      return `j${json.length}:${json}`;
    }
  }
}

/** The fields of a normalised object that are nested objects, with the keys normalisation keeps. */
const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = { address: ADDRESS_KEYS, geo: GEO_KEYS };

/**
 * The key text of a normalised object over the fields normalisation keeps (`keys`, see
 * normalizeContext): each present field as its position and its key part, nested address and geo
 * the same way, length-prefixed. No serialisation of the whole.
 */
function fieldsKey(value: Record<string, unknown>, keys: readonly string[]): string {
  let key = "";
  for (let i = 0; i < keys.length; i++) {
    const field = value[keys[i]!];
    if (field === undefined) continue;
    const nested = NESTED_KEYS[keys[i]!];
    if (nested && field !== null && typeof field === "object") {
      const inner = fieldsKey(field as Record<string, unknown>, nested);
      key += `${i}o${inner.length}:${inner}`;
    } else {
      key += i + keyPart(field);
    }
  }
  return key;
}

function contextKey(context: DeliveryRequest["context"]): string {
  if (context === undefined || context === null || typeof context !== "object") return keyPart(context);
  return `c${fieldsKey(context as Record<string, unknown>, CONTEXT_KEYS)}`;
}

/**
 * Which notifications may share a Delivery request: same visitor ids, context and property, and
 * the same session / SDID when the caller supplied them. Values this client generated per call (a
 * new session id, a new SDID) do not split batches; the batch uses the first item's. The key comes
 * in two parts, built from the normalised request's fields (never by serialising the request):
 * this one (visitor, session, SDID, property) and {@link notificationContextKey}, which the queue
 * computes only when another item of the same visitor waits. Equal parts mean equal visitor,
 * context and property.
 */
export function notificationBatchKey(
  validated: DeliveryRequest,
  call: CallContext,
  options: GetOffersOptions,
): string {
  const analytics = (
    options.request?.experienceCloud as { analytics?: { supplementalDataId?: unknown } } | undefined
  )?.analytics;
  const id = validated.id;
  return (
    keyPart(call.sessionSupplied ? call.sessionId : undefined) +
    keyPart(analytics?.supplementalDataId) +
    (id === undefined
      ? "u"
      : keyPart(id.tntId) +
        keyPart(id.thirdPartyId) +
        keyPart(id.marketingCloudVisitorId) +
        keyPart(id.customerIds)) +
    keyPart(validated.property?.token)
  );
}

/** The context part of a notification batch key (see {@link notificationBatchKey}). */
export function notificationContextKey(validated: DeliveryRequest): string {
  return contextKey(validated.context);
}
