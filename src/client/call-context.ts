/**
 * The call context: what one getOffers / sendNotifications call knows about its visitor before any
 * decision. The mbox cookie gives the session and device ids, the AMCV cookie the ECID and
 * Audience Manager values, the options the customer ids, and the cookie or configured location
 * hint the edge cluster. The caller's request is normalised into a new Delivery request.
 */
import type { SafeLogger } from "../logger";
import { randomId } from "../platform/ids";
import { clusterFromTntId, parseTargetCookie, parseVisitorCookie } from "../protocol/cookies";
import type { CustomerId, DeliveryRequest } from "../protocol/delivery";
import type { GetOffersOptions } from "./call-options";
import { normalizeRequest } from "./request";

export interface CallContext {
  now: number;
  deviceId: string | undefined;
  cluster: string | undefined;
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
export function createCallContext(options: GetOffersOptions, now: number, locationHint: string | undefined): CallContext {
  const cookies = parseTargetCookie(options.targetCookie, now);
  const hint = options.targetLocationHint || locationHint;
  const cluster = clusterFromTntId(cookies.PC) ?? (hint || undefined);
  const supplied = cookies.session || (options.sessionId ? String(options.sessionId) : "");
  const sessionId = supplied || randomId();
  return { now, deviceId: cookies.PC, cluster, sessionId, sessionSupplied: supplied !== "" };
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

/** A new Analytics supplemental data id: two 16-hex-digit halves, upper case. */
function supplementalDataId(): string {
  const hex = randomId().toUpperCase();
  return `${hex.slice(0, 16)}-${hex.slice(16, 32)}`;
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
      supplementalDataId: supplementalDataId(),
      audienceManager: audienceManager(visitor),
      environmentId: defaults.environmentId,
      requestId: randomId(),
    },
    log,
  );
}

/**
 * Which notifications may share a Delivery request: same visitor ids, context and property, and
 * the same session / SDID when the caller supplied them. Values this client generated per call (a
 * new session id, a new SDID) do not split batches; the batch uses the first item's.
 */
export function notificationBatchKey(validated: DeliveryRequest, call: CallContext, options: GetOffersOptions): string {
  const analytics = (options.request?.experienceCloud as { analytics?: { supplementalDataId?: unknown } } | undefined)
    ?.analytics;
  return JSON.stringify([
    call.sessionSupplied ? call.sessionId : null,
    analytics?.supplementalDataId ?? null,
    validated.id ?? null,
    validated.context ?? null,
    validated.property ?? null,
  ]);
}
