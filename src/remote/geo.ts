/**
 * IP → geo resolution done before on-device decisions (docs/target-behaviour.md#geo). Unlike the reference, a failed or
 * slow lookup never fails the call: the decision goes on with the geo the request carried. Lookups
 * are bounded by a timeout, cached per IP (TTL + LRU) and coalesced while in flight.
 */
import { DecisioningError } from "../errors";
import type { Geo } from "../protocol/delivery";
import { GEO_ENDPOINT } from "../protocol/endpoints";
import type { SafeLogger } from "../logger";
import type { FetchLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import { createDeadline } from "../primitives/abort";
import { LruCache } from "../primitives/lru";
import { numberOption, POSITIVE } from "../primitives/options";
import {
  FORWARDED_FOR_HEADER,
  geoFromObject,
  geoFromPayload,
  isValidIpAddress,
  UNKNOWN_IP_ADDRESS,
  type GeoValues,
} from "../protocol/geo";

export const DEFAULT_GEO_TIMEOUT = 1000;
export const DEFAULT_GEO_CACHE_SIZE = 1000;
export const DEFAULT_GEO_CACHE_TTL = 3_600_000;
const MAX_GEO_BODY = 65536;

/** The geo fields whose presence means "the caller already knows the location; do not look up". */
const LOCATION_FIELDS = ["latitude", "longitude", "countryCode", "stateCode", "city"] as const;

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

/** Looked-up geo values per IP: bounded (LRU) and expiring (TTL). A size of 0 caches nothing. */
export interface GeoCache {
  get(ip: string): GeoValues | undefined;
  set(ip: string, values: GeoValues): void;
  readonly size: number;
}

export function createGeoCache(maxSize: number, ttl: number, now: () => number): GeoCache {
  const lru = maxSize >= 1 ? new LruCache<string, { values: GeoValues; expires: number }>(maxSize) : undefined;
  return {
    get(ip) {
      const hit = lru?.get(ip);
      if (!hit) return undefined;
      if (hit.expires > now()) return hit.values;
      lru!.delete(ip);
      return undefined;
    },
    set(ip, values) {
      lru?.set(ip, { values, expires: now() + ttl });
    },
    get size() {
      return lru?.size ?? 0;
    },
  };
}

interface LookupSettings {
  fetch: FetchLike;
  scheduler: Scheduler;
  timeout: number;
  endpoint: string;
  resolver: GeoResolverOptions["resolver"];
}

/** One lookup of `ip` (the custom resolver, or the geo endpoint), bounded by the timeout. */
export async function lookupGeo(s: LookupSettings, ip: string): Promise<GeoValues | undefined> {
  const deadline = createDeadline({
    scheduler: s.scheduler,
    timeoutMs: s.timeout,
    onTimeout: () => new DecisioningError("ODE_ERR_TIMEOUT", `Geo lookup timed out after ${s.timeout} ms`, { recoverable: true }),
  });
  try {
    const resolver = s.resolver;
    if (resolver) {
      const found = await deadline.race(Promise.resolve().then(() => resolver(ip)));
      return found && typeof found === "object" ? geoFromObject(found) : undefined;
    }
    const headers: Record<string, string> = {};
    if (ip !== UNKNOWN_IP_ADDRESS) headers[FORWARDED_FOR_HEADER] = ip;
    const signal = deadline.signal;
    const res = await deadline.race(Promise.resolve().then(() => s.fetch(s.endpoint, { method: "GET", headers, signal })));
    if (res.status < 200 || res.status >= 300) {
      throw new DecisioningError("ODE_ERR_GEO_LOOKUP", `Geo lookup answered with status ${res.status}`, {
        status: res.status,
        recoverable: res.status >= 500 || res.status === 429,
      });
    }
    const text = await deadline.race(res.text());
    if (text.length > MAX_GEO_BODY) throw new DecisioningError("ODE_ERR_GEO_LOOKUP", "Geo lookup body is too large");
    return geoFromPayload(JSON.parse(text)) as GeoValues;
  } finally {
    deadline.dispose();
  }
}

/**
 * Runs at most one lookup per IP at a time: callers asking for an IP already being looked up share
 * that lookup. At most `limit` lookups are tracked; beyond, lookups run uncoalesced.
 */
function coalesce(lookup: (ip: string) => Promise<GeoValues | undefined>, limit: number) {
  const pending = new Map<string, Promise<GeoValues | undefined>>();
  return (ip: string): Promise<GeoValues | undefined> => {
    const existing = pending.get(ip);
    if (existing) return existing;
    const p = lookup(ip);
    if (pending.size < limit) {
      pending.set(ip, p);
      const clear = () => pending.delete(ip);
      p.then(clear, clear);
    }
    return p;
  };
}

/** The sanitised copy of `geo` (an invalid ipAddress removed) and whether a lookup is wanted. */
export function prepareGeo(geo: Geo | undefined, options: GeoResolveOptions = {}): { geo: Geo | undefined; lookup: boolean } {
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

function lookupError(err: unknown): DecisioningError {
  if (DecisioningError.is(err) && err.code === "ODE_ERR_GEO_LOOKUP") return err;
  return new DecisioningError("ODE_ERR_GEO_LOOKUP", `Geo lookup failed: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    recoverable: true,
  });
}

export function createGeoResolver(o: GeoResolverOptions): GeoResolver {
  const { scheduler, logger } = o;
  const maxCache = numberOption(o.cacheSize, DEFAULT_GEO_CACHE_SIZE, { min: 0, integer: true });
  const cache = createGeoCache(maxCache, numberOption(o.cacheTtl, DEFAULT_GEO_CACHE_TTL, POSITIVE), () => scheduler.now());
  const settings: LookupSettings = {
    fetch: o.fetch,
    scheduler,
    timeout: numberOption(o.timeout, DEFAULT_GEO_TIMEOUT, POSITIVE),
    endpoint: typeof o.geoEndpoint === "string" && o.geoEndpoint.length > 0 ? o.geoEndpoint : GEO_ENDPOINT,
    resolver: o.resolver,
  };
  const lookup = coalesce((ip) => lookupGeo(settings, ip), Math.max(1, maxCache));

  async function resolveDetailed(geo: Geo | undefined, options: GeoResolveOptions = {}): Promise<GeoResolution> {
    const prepared = prepareGeo(geo, options);
    if (!prepared.lookup || !geo) return { geo: prepared.geo, updated: false, cached: false };
    const base = prepared.geo as Geo;
    const unknown = geo.ipAddress === UNKNOWN_IP_ADDRESS;
    const ip = unknown ? UNKNOWN_IP_ADDRESS : (geo.ipAddress as string).trim();
    const cachedValues = unknown ? undefined : cache.get(ip);
    let values = cachedValues;
    if (!values) {
      try {
        values = await lookup(ip);
      } catch (err) {
        const error = lookupError(err);
        logger.warn("Geo lookup failed; deciding without it:", error.message);
        return { geo: base, updated: false, cached: false, error };
      }
      if (!values) return { geo: base, updated: false, cached: false };
      if (!unknown) cache.set(ip, values);
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
    prepare: prepareGeo,
    resolveDetailed,
    resolve: async (geo, options) => (await resolveDetailed(geo, options)).geo,
    get cacheSize() {
      return cache.size;
    },
  };
}
