/**
 * IP → geo resolution done before on-device decisions (spec 7). Unlike the reference, a failed or
 * slow lookup never fails the call: the decision goes on with the geo the request carried. Lookups
 * are bounded by a timeout, cached per IP (TTL + LRU) and coalesced while in flight.
 */
import { DecisioningError } from "../errors";
import type { Geo } from "../protocol/delivery";
import { GEO_ENDPOINT } from "../protocol/endpoints";
import type { SafeLogger } from "../logger";
import type { FetchLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import { abortReason } from "../primitives/retry";

export const UNKNOWN_IP_ADDRESS = "unknownIpAddress";
export const FORWARDED_FOR_HEADER = "x-forwarded-for";
const MAX_GEO_BODY = 65536;
const MAX_GEO_STRING = 256;

type GeoValues = Pick<Geo, "ipAddress" | "latitude" | "longitude" | "countryCode" | "stateCode" | "city" | "zip">;

/** Header (or body key) → geo field. Latitude and longitude are numbers. */
const GEO_MAPPINGS: readonly { key: string; field: keyof GeoValues; numeric: boolean }[] = [
  { key: FORWARDED_FOR_HEADER, field: "ipAddress", numeric: false },
  { key: "x-geo-latitude", field: "latitude", numeric: true },
  { key: "x-geo-longitude", field: "longitude", numeric: true },
  { key: "x-geo-country-code", field: "countryCode", numeric: false },
  { key: "x-geo-region-code", field: "stateCode", numeric: false },
  { key: "x-geo-city", field: "city", numeric: false },
];

/** The geo fields whose presence means "the caller already knows the location; do not look up". */
const LOCATION_FIELDS = ["latitude", "longitude", "countryCode", "stateCode", "city"] as const;

function setValue(out: GeoValues, field: keyof GeoValues, numeric: boolean, raw: unknown): void {
  if (numeric) {
    if (typeof raw !== "string" && typeof raw !== "number") return;
    const n = typeof raw === "number" ? raw : parseFloat(raw);
    if (Number.isFinite(n)) (out as Record<string, unknown>)[field] = n;
    return;
  }
  if (typeof raw === "string" && raw.length <= MAX_GEO_STRING) (out as Record<string, unknown>)[field] = raw;
}

function mapGeo(read: (key: string) => unknown): GeoValues {
  const out: GeoValues = {};
  for (const m of GEO_MAPPINGS) {
    const raw = read(m.key);
    if (raw !== null && raw !== undefined) setValue(out, m.field, m.numeric, raw);
  }
  return out;
}

/** Maps the CDN's `x-geo-*` response headers (sent with the artifact) to a geo object (possibly `{}`). */
export function geoFromHeaders(headers: { get(name: string): string | null }): Geo {
  return mapGeo((key) => headers.get(key));
}

/** Maps a geo-endpoint JSON body (header-named keys) to a geo object. */
export function geoFromPayload(payload: unknown): Geo {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return {};
  const body = payload as Record<string, unknown>;
  return mapGeo((key) => (Object.prototype.hasOwnProperty.call(body, key) ? body[key] : undefined));
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => IPV4_PART.test(p));
}

/** Number of 16-bit groups in a `:`-separated run, or -1 when invalid. */
function countGroups(run: string, ipv4Tail: boolean): number {
  if (run === "") return 0;
  const groups = run.split(":");
  let n = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (ipv4Tail && i === groups.length - 1 && g.includes(".")) {
      if (!isIPv4(g)) return -1;
      n += 2;
    } else if (HEX_GROUP.test(g)) n += 1;
    else return -1;
  }
  return n;
}

function isIPv6(input: string): boolean {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) {
    if (zone === s.length - 1) return false;
    s = s.slice(0, zone);
  }
  const gap = s.indexOf("::");
  if (gap === -1) return countGroups(s, true) === 8;
  if (gap !== s.lastIndexOf("::")) return false;
  const head = countGroups(s.slice(0, gap), false);
  const tail = countGroups(s.slice(gap + 2), true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

/** True for an IPv4 or IPv6 literal (IPv6 may carry a `%zone`), surrounding whitespace allowed. */
export function isValidIpAddress(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > 100) return false;
  const s = value.trim();
  return isIPv4(s) || (s.includes(":") && isIPv6(s));
}

export interface GeoResolverOptions {
  fetch: FetchLike;
  scheduler: Scheduler;
  logger: SafeLogger;
  /** ms for one lookup (HTTP or custom resolver). Default 1000. */
  timeout?: number;
  /** Max cached IPs (LRU). 0 disables the cache. Default 1000. */
  cacheSize?: number;
  /** ms a cached lookup stays valid. Default 3600000 (1 h). */
  cacheTtl?: number;
  geoEndpoint?: string;
  /** Replaces the HTTP lookup (e.g. a local geo database on an edge runtime). Gets the IP or "unknownIpAddress". */
  resolver?: (ip: string) => Promise<Geo | undefined> | Geo | undefined;
  /** Called with the merged geo after every successful lookup (or cache hit): emit `geoLocationUpdated`. */
  onUpdate?: (geo: Geo) => void;
}

export interface GeoResolveOptions {
  /** false → only sanitise (remove an invalid ipAddress); the client passes `artifact.geoTargetingEnabled`. Default true. */
  lookup?: boolean;
}

export interface GeoResolution {
  /** A new object (never the input); undefined only when the input was. */
  geo: Geo | undefined;
  /** A lookup (or cache hit) contributed values: the caller emits `geoLocationUpdated` with `geo`. */
  updated: boolean;
  cached: boolean;
  /** Set when a lookup was attempted and failed (already logged). */
  error?: DecisioningError;
}

export interface GeoResolver {
  /**
   * Synchronous part of `resolve`: the sanitised copy (invalid ipAddress removed) and whether a
   * lookup is wanted. When `lookup` is false the copy is the final result, with no await needed.
   */
  prepare(geo: Geo | undefined, options?: GeoResolveOptions): { geo: Geo | undefined; lookup: boolean };
  resolve(geo: Geo | undefined, options?: GeoResolveOptions): Promise<Geo | undefined>;
  resolveDetailed(geo: Geo | undefined, options?: GeoResolveOptions): Promise<GeoResolution>;
  /** Number of cached IPs. */
  readonly cacheSize: number;
}

interface CacheEntry {
  values: GeoValues;
  expires: number;
}

function positiveOr(value: number | undefined, fallback: number, allowZero = false): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return fallback;
  return value > 0 || (allowZero && value === 0) ? value : fallback;
}

export function createGeoResolver(o: GeoResolverOptions): GeoResolver {
  const { fetch, scheduler, logger } = o;
  const timeout = positiveOr(o.timeout, 1000);
  const maxCache = Math.floor(positiveOr(o.cacheSize, 1000, true));
  const ttl = positiveOr(o.cacheTtl, 3600000);
  const endpoint = typeof o.geoEndpoint === "string" && o.geoEndpoint.length > 0 ? o.geoEndpoint : GEO_ENDPOINT;
  const cache = new Map<string, CacheEntry>();
  const pending = new Map<string, Promise<GeoValues | undefined>>();

  function cacheGet(ip: string): GeoValues | undefined {
    const hit = cache.get(ip);
    if (!hit) return undefined;
    cache.delete(ip);
    if (hit.expires <= scheduler.now()) return undefined;
    cache.set(ip, hit); // most recently used goes last
    return hit.values;
  }

  function cacheSet(ip: string, values: GeoValues): void {
    if (maxCache === 0) return;
    cache.delete(ip);
    cache.set(ip, { values, expires: scheduler.now() + ttl });
    while (cache.size > maxCache) cache.delete(cache.keys().next().value as string);
  }

  async function lookupOnce(ip: string): Promise<GeoValues | undefined> {
    const controller = new AbortController();
    const signal = controller.signal;
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(abortReason(signal)), { once: true });
    });
    aborted.catch(() => {});
    const timer = scheduler.setTimeout(
      () => controller.abort(new DecisioningError("ODE_ERR_TIMEOUT", `Geo lookup timed out after ${timeout} ms`, { recoverable: true })),
      timeout,
    );
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);
    try {
      if (o.resolver) {
        const resolver = o.resolver;
        const found = await race(Promise.resolve().then(() => resolver(ip)));
        return found && typeof found === "object" ? pickGeo(found) : undefined;
      }
      const headers: Record<string, string> = {};
      if (ip !== UNKNOWN_IP_ADDRESS) headers[FORWARDED_FOR_HEADER] = ip;
      const res = await race(Promise.resolve().then(() => fetch(endpoint, { method: "GET", headers, signal })));
      if (res.status < 200 || res.status >= 300) {
        throw new DecisioningError("ODE_ERR_GEO_LOOKUP", `Geo lookup answered with status ${res.status}`, {
          status: res.status,
          recoverable: res.status >= 500 || res.status === 429,
        });
      }
      const text = await race(res.text());
      if (text.length > MAX_GEO_BODY) throw new DecisioningError("ODE_ERR_GEO_LOOKUP", "Geo lookup body is too large");
      return geoFromPayload(JSON.parse(text)) as GeoValues;
    } finally {
      timer.cancel();
    }
  }

  function lookup(ip: string): Promise<GeoValues | undefined> {
    const existing = pending.get(ip);
    if (existing) return existing;
    const p = lookupOnce(ip);
    if (pending.size < Math.max(1, maxCache)) {
      pending.set(ip, p);
      const clear = () => pending.delete(ip);
      p.then(clear, clear);
    }
    return p;
  }

  function prepare(geo: Geo | undefined, options: GeoResolveOptions = {}): { geo: Geo | undefined; lookup: boolean } {
    if (!geo || typeof geo !== "object") return { geo: undefined, lookup: false };
    const base: Geo = { ...geo };
    const ipRaw = geo.ipAddress;
    const unknown = ipRaw === UNKNOWN_IP_ADDRESS;
    const valid = !unknown && isValidIpAddress(ipRaw);
    if (!valid) delete base.ipAddress;
    const wanted =
      options.lookup !== false && (unknown || valid) && LOCATION_FIELDS.every((field) => geo[field] === undefined);
    return { geo: base, lookup: wanted };
  }

  async function resolveDetailed(geo: Geo | undefined, options: GeoResolveOptions = {}): Promise<GeoResolution> {
    const prepared = prepare(geo, options);
    if (!prepared.lookup || !geo) return { geo: prepared.geo, updated: false, cached: false };
    const base = prepared.geo as Geo;
    const ipRaw = geo.ipAddress;
    const unknown = ipRaw === UNKNOWN_IP_ADDRESS;

    const ip = unknown ? UNKNOWN_IP_ADDRESS : (ipRaw as string).trim();
    const cachedValues = unknown ? undefined : cacheGet(ip);
    let values = cachedValues;
    if (!values) {
      try {
        values = await lookup(ip);
      } catch (err) {
        const error = DecisioningError.is(err) && err.code === "ODE_ERR_GEO_LOOKUP"
          ? err
          : new DecisioningError("ODE_ERR_GEO_LOOKUP", `Geo lookup failed: ${err instanceof Error ? err.message : String(err)}`, {
              cause: err,
              recoverable: true,
            });
        logger.warn("Geo lookup failed; deciding without it:", error.message);
        return { geo: base, updated: false, cached: false, error };
      }
      if (!values) return { geo: base, updated: false, cached: false };
      if (!unknown) cacheSet(ip, values);
    }
    const merged: Geo = { ...base, ...values };
    if (o.onUpdate) {
      try {
        o.onUpdate(merged);
      } catch (err) {
        logger.error("geo onUpdate callback threw:", err);
      }
    }
    return { geo: merged, updated: true, cached: cachedValues !== undefined };
  }

  return {
    prepare,
    resolveDetailed,
    resolve: async (geo, options) => (await resolveDetailed(geo, options)).geo,
    get cacheSize() {
      return cache.size;
    },
  };
}

function pickGeo(found: Geo): GeoValues {
  const out: GeoValues = {};
  if (typeof found.ipAddress === "string" && found.ipAddress.length <= MAX_GEO_STRING) out.ipAddress = found.ipAddress;
  for (const field of ["latitude", "longitude"] as const) {
    const v = found[field];
    if (typeof v === "number" && Number.isFinite(v)) out[field] = v;
  }
  for (const field of ["countryCode", "stateCode", "city", "zip"] as const) {
    const v = found[field];
    if (typeof v === "string" && v.length <= MAX_GEO_STRING) out[field] = v;
  }
  return out;
}
