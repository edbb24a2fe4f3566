import { DecisioningError } from "../errors";
import type {
  Context,
  DeliveryRequest,
  ExecuteRequest,
  MboxRequest,
  PrefetchRequest,
  RequestDetails,
  ViewRequest,
  VisitorId,
} from "../protocol/delivery";

/**
 * Checking and normalising a caller's Delivery request for a decision, in one pass: what the
 * TargetClient's option checks, request normalisation and the engine's request validation do
 * before an on-device decision, reduced to the parts that decide or that a notification carries
 * (request id, visitor ids, property, trace, context, execute/prefetch, experienceCloud as given).
 * The caller's objects are never modified; nested detail objects (`parameters` …) are shared
 * read-only.
 *
 * Rules (the reference's): the request must be a non-empty object; a non-empty execute needs a
 * pageLoad object or mboxes, a non-empty prefetch a pageLoad, views or mboxes; mboxes without a
 * name are dropped and the others get `index` = their position when they have none; only the
 * known keys of context, geo, address and details are kept; the channel is always "web"; a
 * request naming no visitor gets a generated tntId (with the location hint) and `context.geo`
 * defaults to `{}`.
 */

export interface PrepareOptions {
  /** Random id generator (32 hex chars): tntId and requestId when missing. */
  uuid: () => string;
  /** Appended to a generated tntId as `.<hint>_0`. */
  targetLocationHint?: string;
  /** Replaces `context.geo` (e.g. the result of an IP lookup). */
  geo?: Record<string, unknown>;
  /** The property token of requests that carry none. */
  propertyToken?: string;
}

type Dict = Record<string, unknown>;

const isObject = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const nonEmptyArray = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;

/** The reference's "empty object": not an object, an array, a boxed primitive, or no defined values. */
export function isEmptyObject(v: unknown): boolean {
  if (!isObject(v)) return true;
  if (v instanceof String || v instanceof Number || v instanceof Boolean) return true;
  for (const key in v) if (Object.hasOwn(v, key) && v[key] !== undefined) return false;
  return true;
}

function invalidRequest(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", message);
}

/** The kept keys of a request detail, in the reference's order. */
function prepareDetails(value: unknown): RequestDetails {
  const out: RequestDetails = {};
  if (!isObject(value)) return out;
  if (value.address !== undefined) out.address = value.address as RequestDetails["address"];
  if (value.parameters !== undefined) out.parameters = value.parameters as Dict;
  if (value.profileParameters !== undefined) out.profileParameters = value.profileParameters as Dict;
  if (value.order !== undefined) out.order = value.order as Dict;
  if (value.product !== undefined) out.product = value.product as Dict;
  return out;
}

function prepareMboxes(mboxes: unknown): MboxRequest[] | undefined {
  if (!nonEmptyArray(mboxes)) return undefined;
  const out: MboxRequest[] = [];
  for (const m of mboxes) {
    if (isEmptyObject(m) || !nonEmptyString((m as MboxRequest).name)) continue;
    const item = prepareDetails(m) as MboxRequest;
    item.name = (m as MboxRequest).name;
    const index = (m as MboxRequest).index;
    item.index = typeof index === "number" ? index : out.length;
    out.push(item);
  }
  return out.length > 0 ? out : undefined;
}

function prepareViews(views: unknown): ViewRequest[] | undefined {
  if (!nonEmptyArray(views)) return undefined;
  return views.map((v) => {
    const view = isObject(v) ? v : {};
    const out: ViewRequest = prepareDetails(view);
    if (nonEmptyString(view.name)) out.name = view.name;
    if (nonEmptyString(view.key)) out.key = view.key;
    return out;
  });
}

function prepareGeo(geo: Dict): Dict {
  const out: Dict = {};
  if (geo.ipAddress !== undefined) out.ipAddress = geo.ipAddress;
  if (geo.latitude !== undefined) out.latitude = geo.latitude;
  if (geo.longitude !== undefined) out.longitude = geo.longitude;
  if (geo.countryCode !== undefined) out.countryCode = geo.countryCode;
  if (geo.stateCode !== undefined) out.stateCode = geo.stateCode;
  if (geo.city !== undefined) out.city = geo.city;
  if (geo.zip !== undefined) out.zip = geo.zip;
  return out;
}

/** The kept context keys, in the reference's order; channel "web"; geo last resolved by the caller's override. */
function prepareContext(context: unknown, geoOverride: Dict | undefined): Context {
  if (!isObject(context)) {
    return { channel: "web", timeOffsetInMinutes: -new Date().getTimezoneOffset(), geo: geoOverride ?? {} };
  }
  const c = context;
  const out: Context = { channel: "web" };
  if (c.mobilePlatform !== undefined) out.mobilePlatform = c.mobilePlatform;
  if (c.application !== undefined) out.application = c.application;
  if (c.screen !== undefined) out.screen = c.screen;
  if (c.window !== undefined) out.window = c.window;
  if (c.browser !== undefined) out.browser = c.browser;
  if (c.address !== undefined) {
    const a = c.address;
    out.address = isObject(a)
      ? a.referringUrl === undefined
        ? a.url === undefined
          ? {}
          : { url: a.url as string }
        : a.url === undefined
          ? { referringUrl: a.referringUrl as string }
          : { url: a.url as string, referringUrl: a.referringUrl as string }
      : (a as Context["address"]);
  }
  const geo =
    geoOverride ?? (c.geo === undefined || c.geo === null ? {} : isObject(c.geo) ? prepareGeo(c.geo) : c.geo);
  out.geo = geo as Context["geo"];
  if (c.timeOffsetInMinutes !== undefined) out.timeOffsetInMinutes = c.timeOffsetInMinutes as number;
  if (c.userAgent !== undefined) out.userAgent = c.userAgent as string;
  if (c.clientHints !== undefined) out.clientHints = c.clientHints as Context["clientHints"];
  if (c.beacon !== undefined) out.beacon = c.beacon as boolean;
  return out;
}

function hasAuthenticatedCustomer(customerIds: unknown): boolean {
  return (
    Array.isArray(customerIds) &&
    customerIds.some((c) => c && c.authenticatedState === "authenticated" && c.id)
  );
}

/** Visitor ids as given (non-empty strings only), or a generated tntId when none names the visitor. */
function prepareId(id: unknown, options: PrepareOptions): VisitorId {
  const out: VisitorId = {};
  if (isObject(id)) {
    if (nonEmptyString(id.tntId)) out.tntId = id.tntId;
    if (nonEmptyString(id.thirdPartyId)) out.thirdPartyId = id.thirdPartyId;
    if (nonEmptyString(id.marketingCloudVisitorId)) out.marketingCloudVisitorId = id.marketingCloudVisitorId;
    if (nonEmptyArray(id.customerIds)) out.customerIds = id.customerIds as VisitorId["customerIds"];
  }
  if (
    !out.tntId &&
    !out.marketingCloudVisitorId &&
    !out.thirdPartyId &&
    !hasAuthenticatedCustomer(out.customerIds)
  ) {
    const hint = options.targetLocationHint;
    out.tntId = `${options.uuid()}${typeof hint === "string" && hint.trim() !== "" ? `.${hint}_0` : ""}`;
  }
  return out;
}

function prepareExecute(value: unknown): ExecuteRequest | undefined {
  if (isEmptyObject(value)) return undefined;
  const e = value as Dict;
  const pageLoad = isObject(e.pageLoad);
  if (!pageLoad && !nonEmptyArray(e.mboxes))
    throw invalidRequest("Either pageLoad or mboxes is required in execute");
  const mboxes = prepareMboxes(e.mboxes);
  if (!pageLoad && !mboxes) return undefined;
  const out: ExecuteRequest = {};
  if (pageLoad) out.pageLoad = prepareDetails(e.pageLoad);
  if (mboxes) out.mboxes = mboxes;
  return out;
}

function preparePrefetch(value: unknown): PrefetchRequest | undefined {
  if (isEmptyObject(value)) return undefined;
  const p = value as Dict;
  const pageLoad = isObject(p.pageLoad);
  if (!pageLoad && !nonEmptyArray(p.views) && !nonEmptyArray(p.mboxes)) {
    throw invalidRequest("Either views, pageLoad or mboxes is required in prefetch");
  }
  const mboxes = prepareMboxes(p.mboxes);
  const views = prepareViews(p.views);
  if (!pageLoad && !mboxes && !views) return undefined;
  const out: PrefetchRequest = {};
  if (pageLoad) out.pageLoad = prepareDetails(p.pageLoad);
  if (views) out.views = views;
  if (mboxes) out.mboxes = mboxes;
  return out;
}

/** Checks and normalises a Delivery request for a decision (see the module comment). */
export function prepareRequest(request: unknown, options: PrepareOptions): DeliveryRequest {
  if (isEmptyObject(request)) throw invalidRequest("Request object is required");
  const r = request as DeliveryRequest;
  const execute = prepareExecute(r.execute);
  const prefetch = preparePrefetch(r.prefetch);
  const out: DeliveryRequest = { requestId: nonEmptyString(r.requestId) ? r.requestId : "" };
  if (r.environmentId !== undefined) out.environmentId = r.environmentId;
  out.id = prepareId(r.id, options);
  if (!out.requestId) out.requestId = options.uuid();
  const token = (isObject(r.property) && r.property.token) || options.propertyToken;
  if (nonEmptyString(token)) out.property = { token };
  if (r.trace !== undefined && r.trace !== null) out.trace = r.trace;
  out.context = prepareContext(r.context, options.geo);
  if (isObject(r.experienceCloud)) out.experienceCloud = r.experienceCloud;
  if (execute) out.execute = execute;
  if (prefetch) out.prefetch = prefetch;
  return out;
}
