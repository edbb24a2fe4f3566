/**
 * Target cookies (docs/target-behaviour.md#cookies-clusters-and-hosts): the `mbox` cookie (session id and device id `PC`), the
 * `mboxEdgeCluster` location-hint cookie, edge-cluster extraction, and a reader for the ECID
 * `AMCV_<orgId>` cookie. Pure functions; the clock is a parameter.
 */
import { EDGE_CLUSTER_PREFIX } from "./endpoints";

export const TARGET_COOKIE_NAME = "mbox";
export const LOCATION_HINT_COOKIE_NAME = "mboxEdgeCluster";
export const SESSION_ID_COOKIE = "session";
export const DEVICE_ID_COOKIE = "PC";
/** Seconds. */
export const SESSION_ID_MAX_AGE = 1860;
/** Seconds (732 days). */
export const DEVICE_ID_MAX_AGE = 63244800;
/** Seconds. */
export const LOCATION_HINT_MAX_AGE = 1860;

const MAX_ENTRIES = 64;

export interface Cookie {
  name: string;
  value: string;
  /** Seconds. */
  maxAge: number;
}

export interface TargetCookieValues {
  session?: string;
  PC?: string;
}

/** `AMCV_<orgId>`: the ECID visitor cookie name. */
export function visitorCookieName(orgId: string): string {
  return `AMCV_${orgId}`;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Reads the `mbox` cookie: `|`-separated entries `name#value#expiresEpochSeconds` (name and value
 * URI-encoded). Entries with fewer than 3 parts, a non-numeric expiry, an expiry earlier than
 * `ceil(now/1000)` malformed escapes or an empty value are ignored; a later entry of the same name wins.
 */
export function parseTargetCookie(value: string | undefined | null, nowMs: number): TargetCookieValues {
  const result: TargetCookieValues = {};
  if (typeof value !== "string" || value.length === 0) return result;
  const nowSeconds = Math.ceil(nowMs / 1000);
  const entries = value.split("|");
  for (let i = 0; i < entries.length && i < MAX_ENTRIES; i++) {
    const parts = entries[i]!.split("#");
    if (parts.length < 3) continue;
    const expires = Number(parts[2]);
    if (parts[2]!.trim() === "" || !Number.isFinite(expires) || expires < nowSeconds) continue;
    const name = safeDecode(parts[0]!);
    const decoded = safeDecode(parts[1]!);
    if (decoded === undefined || decoded === "") continue;
    if (name === SESSION_ID_COOKIE) result.session = decoded;
    else if (name === DEVICE_ID_COOKIE) result.PC = decoded;
  }
  return result;
}

/**
 * Builds the `mbox` cookie to return to the browser: `session#<sessionId>#<now+1860>` and, when a
 * tntId is known, `PC#<tntId>#<now+63244800>` (now = `ceil(nowMs/1000)`); `maxAge` =
 * `ceil(|maxExpiry*1000 - nowMs| / 1000)`.
 */
export function createTargetCookie(o: { sessionId: string; tntId?: string; nowMs: number }): Cookie {
  const nowSeconds = Math.ceil(o.nowMs / 1000);
  const sessionExpires = nowSeconds + SESSION_ID_MAX_AGE;
  let value = `${encodeURIComponent(SESSION_ID_COOKIE)}#${encodeURIComponent(o.sessionId)}#${sessionExpires}`;
  let maxExpires = sessionExpires;
  if (o.tntId) {
    const deviceExpires = nowSeconds + DEVICE_ID_MAX_AGE;
    value += `|${encodeURIComponent(DEVICE_ID_COOKIE)}#${encodeURIComponent(o.tntId)}#${deviceExpires}`;
    maxExpires = Math.max(maxExpires, deviceExpires);
  }
  return {
    name: TARGET_COOKIE_NAME,
    value,
    maxAge: Math.ceil(Math.abs(maxExpires * 1000 - o.nowMs) / 1000),
  };
}

const CLUSTER = /^[A-Za-z0-9-]{1,32}$/;

/**
 * True when `cluster` can safely become part of the host name `mboxedge<cluster>.tt.omtrdc.net`
 * (letters, digits and dashes only). Clusters come from cookies and requests, so anything else is
 * refused rather than allowed to point the Delivery call at another host.
 */
export function isValidCluster(cluster: unknown): cluster is string {
  return typeof cluster === "string" && CLUSTER.test(cluster);
}

/**
 * `<id>.<cluster>_<n>` → `<cluster>`; anything else (no dot or more than one, nothing after the
 * dot, no underscore or more than one after it, an empty cluster) → undefined. Read once per call
 * and per notification send: index scans, no split arrays.
 */
export function clusterFromTntId(tntId: string | undefined | null): string | undefined {
  if (typeof tntId !== "string") return undefined;
  const dot = tntId.indexOf(".");
  if (dot < 0 || dot === tntId.length - 1 || tntId.indexOf(".", dot + 1) >= 0) return undefined;
  const underscore = tntId.indexOf("_", dot + 1);
  if (underscore <= dot + 1 || tntId.indexOf("_", underscore + 1) >= 0) return undefined;
  const cluster = tntId.slice(dot + 1, underscore);
  return isValidCluster(cluster) ? cluster : undefined;
}

/** `mboxedge<N>.tt.omtrdc.net` → `<N>` (a four-label host whose first label loses the prefix). */
export function clusterFromEdgeHost(edgeHost: string | undefined | null): string | undefined {
  if (typeof edgeHost !== "string" || edgeHost.length === 0) return undefined;
  const parts = edgeHost.split(".");
  if (parts.length !== 4 || !parts[0]) return undefined;
  const cluster = parts[0].replace(EDGE_CLUSTER_PREFIX, "");
  return isValidCluster(cluster) ? cluster : undefined;
}

/** `{name: "mboxEdgeCluster", value: cluster, maxAge: 1860}`, or undefined without a usable cluster. */
export function createLocationHintCookie(cluster: string | undefined | null): Cookie | undefined {
  if (typeof cluster !== "string" || cluster.length === 0) return undefined;
  return { name: LOCATION_HINT_COOKIE_NAME, value: cluster, maxAge: LOCATION_HINT_MAX_AGE };
}

export interface VisitorCookieValues {
  /** Experience Cloud visitor id. */
  MCMID?: string;
  /** Audience Manager location hint. */
  MCAAMLH?: string;
  /** Audience Manager blob. */
  MCAAMB?: string;
}

const VISITOR_KEYS = new Set(["MCMID", "MCAAMLH", "MCAAMB"]);
const SETTINGS_DIGEST = /^[-0-9]+$/;
const MAX_VISITOR_COOKIE_LENGTH = 16384;

/**
 * Reads the values the SDK needs from an `AMCV_<orgId>` cookie: a URI-encoded, `|`-separated list
 * of `key|value` pairs, optionally preceded by a numeric settings digest. Keys may carry an expiry
 * suffix (`MCAAMLH-1599|7`), which is ignored, as the ECID server library does. `"T"`, empty,
 * malformed or oversized values give `{}`.
 */
export function parseVisitorCookie(amcvValue: string | undefined | null): VisitorCookieValues {
  const result: VisitorCookieValues = {};
  if (typeof amcvValue !== "string" || amcvValue.length === 0 || amcvValue === "T") return result;
  if (amcvValue.length > MAX_VISITOR_COOKIE_LENGTH) return result;
  const decoded = safeDecode(amcvValue);
  if (decoded === undefined) return result;
  const tokens = decoded.split("|");
  if (tokens.length > 0 && SETTINGS_DIGEST.test(tokens[0]!)) {
    tokens.shift();
    if (tokens.length % 2 === 1) tokens.pop();
  }
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const key = tokens[i]!.split("-")[0]!;
    const value = tokens[i + 1]!;
    if (VISITOR_KEYS.has(key) && value.length > 0) result[key as keyof VisitorCookieValues] = value;
  }
  return result;
}
