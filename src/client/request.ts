import type {
  Context,
  CustomerId,
  DeliveryRequest,
  MboxRequest,
  Notification,
  RequestDetails,
  ViewRequest,
  VisitorId,
} from "../protocol/delivery";
import { DecisioningError } from "../errors";
import { isEmptyObject } from "../engine/prepare";
import { checkDeliveryInput } from "./request-guard";
import type { SafeLogger } from "../logger";

/**
 * Request validation and normalisation done before any decision
 * (docs/target-behaviour.md#request-normalisation). The
 * caller's objects are never modified: everything returned is new (nested request-detail objects
 * such as `parameters` are shared read-only).
 */

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The reference's "empty object" (one definition for the client and the engine; it allocates nothing). */
export { isEmptyObject };

const nonEmptyString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const nonEmptyArray = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;

function invalidRequest(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", message);
}

/**
 * Depth, UTF-16 and types first (src/client/request-guard.ts and src/primitives/json-bounds.ts: a coded rejection instead of a crash further on),
 * then the reference's own checks and messages.
 */
export function validateGetOffersOptions(options: unknown): void {
  checkDeliveryInput(options);
  if (isEmptyObject(options)) throw invalidRequest("Options map is required");
  const request = (options as { request?: unknown }).request;
  if (isEmptyObject(request)) throw invalidRequest("Request object is required");
  const { execute, prefetch } = request as DeliveryRequest;
  if (!isEmptyObject(execute)) {
    const e = execute as Record<string, unknown>;
    if (!isObject(e.pageLoad) && !nonEmptyArray(e.mboxes)) {
      throw invalidRequest("Either pageLoad or mboxes is required in execute");
    }
  }
  if (!isEmptyObject(prefetch)) {
    const p = prefetch as Record<string, unknown>;
    if (!isObject(p.pageLoad) && !nonEmptyArray(p.views) && !nonEmptyArray(p.mboxes)) {
      throw invalidRequest("Either views, pageLoad or mboxes is required in prefetch");
    }
  }
}

export function validateSendNotificationsOptions(options: unknown, telemetryPending: boolean): void {
  checkDeliveryInput(options);
  if (isEmptyObject(options)) throw invalidRequest("Options map is required");
  const request = (options as { request?: unknown }).request;
  if (isEmptyObject(request)) throw invalidRequest("Request object is required");
  if (!telemetryPending && !nonEmptyArray((request as DeliveryRequest).notifications)) {
    throw invalidRequest("Notifications array is required in request");
  }
}

function pick<T extends object>(source: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out as T;
}

const DETAIL_KEYS = ["address", "parameters", "profileParameters", "order", "product"] as const;
/** The context fields a normalised request keeps (everything else is dropped). */
export const CONTEXT_KEYS = [
  "channel",
  "mobilePlatform",
  "application",
  "screen",
  "window",
  "browser",
  "address",
  "geo",
  "timeOffsetInMinutes",
  "userAgent",
  "clientHints",
  "beacon",
] as const;
export const GEO_KEYS = ["ipAddress", "latitude", "longitude", "countryCode", "stateCode", "city", "zip"] as const;
export const ADDRESS_KEYS = ["url", "referringUrl"] as const;

function normalizeDetails(value: unknown): RequestDetails {
  return isObject(value) ? pick<RequestDetails>(value, DETAIL_KEYS) : {};
}

/**
 * One log line for every item a request drops, whatever their number (the reference logs one line
 * per item: a request of 45,000 invalid mboxes wrote 45,000 lines): the first item and a count.
 */
function logDropped(log: SafeLogger, message: string, dropped: readonly unknown[]): void {
  if (dropped.length === 0) return;
  if (dropped.length === 1) log.error(message, dropped[0]);
  else log.error(message, dropped[0], `(and ${dropped.length - 1} more: ${dropped.length} in this request)`);
}

function normalizeMboxes(mboxes: unknown, log: SafeLogger): MboxRequest[] | undefined {
  if (!nonEmptyArray(mboxes)) return undefined;
  const dropped: unknown[] = [];
  const valid = mboxes.filter((m) => {
    const ok = !isEmptyObject(m) && nonEmptyString((m as MboxRequest).name);
    if (!ok) dropped.push(m);
    return ok;
  }) as MboxRequest[];
  logDropped(log, "Mbox validation failed for", dropped);
  const result = valid.map((m, position) => ({
    ...normalizeDetails(m),
    name: m.name,
    index: typeof m.index === "number" ? m.index : position,
  }));
  return result.length > 0 ? result : undefined;
}

function normalizeViews(views: unknown): ViewRequest[] | undefined {
  if (!nonEmptyArray(views)) return undefined;
  return views.map((v) => {
    const view = isObject(v) ? v : {};
    const out: ViewRequest = normalizeDetails(view);
    // Any name is kept, "" included, as the reference keeps it (it then counts as a remote view).
    if (view.name !== undefined && view.name !== null) out.name = view.name as string;
    if (nonEmptyString(view.key)) out.key = view.key;
    return out;
  });
}

function normalizeNotifications(notifications: unknown, log: SafeLogger): Notification[] | undefined {
  if (!nonEmptyArray(notifications)) return undefined;
  const out: Notification[] = [];
  const dropped: unknown[] = [];
  for (const n of notifications) {
    const ok =
      !isEmptyObject(n) &&
      nonEmptyString((n as Notification).id) &&
      typeof (n as Notification).timestamp === "number" &&
      ((n as Notification).type === "display" || (n as Notification).type === "click");
    if (!ok) {
      dropped.push(n);
      continue;
    }
    const src = n as Notification;
    const item: Notification = { ...normalizeDetails(src), id: src.id, type: src.type, timestamp: src.timestamp };
    if (nonEmptyString(src.impressionId)) item.impressionId = src.impressionId;
    if (nonEmptyArray(src.tokens)) item.tokens = src.tokens as string[];
    if (!isEmptyObject(src.mbox)) item.mbox = src.mbox;
    if (!isEmptyObject(src.view)) item.view = src.view;
    if (!isEmptyObject(src.pageLoad)) item.pageLoad = src.pageLoad;
    out.push(item);
  }
  logDropped(log, "Notification validation failed for", dropped);
  return out.length > 0 ? out : undefined;
}

function normalizeContext(context: unknown): Context {
  if (!isObject(context)) {
    return { channel: "web", timeOffsetInMinutes: -new Date().getTimezoneOffset() };
  }
  const out = pick<Context>(context, CONTEXT_KEYS);
  if (isObject(out.geo)) out.geo = pick<NonNullable<Context["geo"]>>(out.geo, GEO_KEYS);
  if (isObject(out.address)) out.address = pick(out.address, ADDRESS_KEYS);
  // The reference forces the channel to "web" whatever was given, "mobile" included.
  out.channel = "web";
  return out;
}

export interface VisitorInputs {
  /** tntId from the PC entry of the mbox cookie. */
  deviceId?: string;
  /** MCMID from the AMCV cookie. */
  marketingCloudVisitorId?: string;
  /** Customer ids from the `customerIds` option, already converted. */
  customerIds?: CustomerId[];
  supplementalDataId: string;
  audienceManager?: { locationHint?: number; blob?: string };
  environmentId?: number;
  requestId: string;
}

function normalizeId(id: unknown, inputs: VisitorInputs): VisitorId | undefined {
  const src = isObject(id) ? (id as VisitorId) : {};
  const tntId = src.tntId !== undefined ? src.tntId : inputs.deviceId;
  const mcid = src.marketingCloudVisitorId !== undefined ? src.marketingCloudVisitorId : inputs.marketingCloudVisitorId;
  const customerIds = [...(inputs.customerIds ?? []), ...(Array.isArray(src.customerIds) ? src.customerIds : [])];
  const out: VisitorId = {};
  if (nonEmptyString(tntId)) out.tntId = tntId;
  if (nonEmptyString(src.thirdPartyId)) out.thirdPartyId = src.thirdPartyId;
  if (nonEmptyString(mcid)) out.marketingCloudVisitorId = mcid;
  if (customerIds.length > 0) out.customerIds = customerIds;
  return Object.keys(out).length > 0 ? out : undefined;
}

function normalizeExperienceCloud(value: unknown, inputs: VisitorInputs): Record<string, unknown> {
  const ec = isObject(value) ? value : {};
  const analytics = isObject(ec.analytics) ? ec.analytics : {};
  const out: Record<string, unknown> = {
    analytics: {
      logging: nonEmptyString(analytics.logging) ? analytics.logging : "server_side",
      supplementalDataId: nonEmptyString(analytics.supplementalDataId)
        ? analytics.supplementalDataId
        : inputs.supplementalDataId,
      ...(nonEmptyString(analytics.trackingServer) ? { trackingServer: analytics.trackingServer } : {}),
      ...(nonEmptyString(analytics.trackingServerSecure) ? { trackingServerSecure: analytics.trackingServerSecure } : {}),
    },
  };
  const am = isObject(ec.audienceManager) ? ec.audienceManager : {};
  const locationHint = am.locationHint ?? inputs.audienceManager?.locationHint;
  const blob = am.blob ?? inputs.audienceManager?.blob;
  if (locationHint !== undefined || blob !== undefined) {
    out.audienceManager = {
      ...(locationHint !== undefined ? { locationHint } : {}),
      ...(blob !== undefined ? { blob } : {}),
    };
  }
  return out;
}

/** Builds the normalised Delivery request: a new object, the caller's is not modified. */
export function normalizeRequest(request: DeliveryRequest, inputs: VisitorInputs, log: SafeLogger): DeliveryRequest {
  const out: DeliveryRequest = {
    requestId: nonEmptyString(request.requestId) ? request.requestId : inputs.requestId,
  };
  const environmentId = request.environmentId ?? inputs.environmentId;
  if (environmentId !== undefined) out.environmentId = environmentId;
  const id = normalizeId(request.id, inputs);
  if (id) out.id = id;
  if (isObject(request.property) && nonEmptyString(request.property.token)) out.property = { token: request.property.token };
  if (request.trace !== undefined && request.trace !== null) out.trace = request.trace;
  out.context = normalizeContext(request.context);
  out.experienceCloud = normalizeExperienceCloud(request.experienceCloud, inputs);
  if (!isEmptyObject(request.execute)) {
    const e = request.execute as Record<string, unknown>;
    const mboxes = normalizeMboxes(e.mboxes, log);
    // As in the reference, an execute whose mboxes were all dropped stays (answered `execute: {}`).
    if (isObject(e.pageLoad) || nonEmptyArray(e.mboxes)) {
      out.execute = {};
      if (isObject(e.pageLoad)) out.execute.pageLoad = normalizeDetails(e.pageLoad);
      if (mboxes) out.execute.mboxes = mboxes;
    }
  }
  if (!isEmptyObject(request.prefetch)) {
    const p = request.prefetch as Record<string, unknown>;
    const mboxes = normalizeMboxes(p.mboxes, log);
    const views = normalizeViews(p.views);
    if (isObject(p.pageLoad) || nonEmptyArray(p.mboxes) || views) {
      out.prefetch = {};
      if (isObject(p.pageLoad)) out.prefetch.pageLoad = normalizeDetails(p.pageLoad);
      if (views) out.prefetch.views = views;
      if (mboxes) out.prefetch.mboxes = mboxes;
    }
  }
  const notifications = normalizeNotifications(request.notifications, log);
  if (notifications) out.notifications = notifications;
  if (isObject(request.telemetry)) out.telemetry = request.telemetry;
  if (isObject(request.qaMode)) out.qaMode = request.qaMode;
  if (isObject(request.preview)) out.preview = request.preview;
  return out;
}
