/**
 * The service's outbound HTTP: the client's FetchLike, wrapped to
 * - send every Delivery API call (remote decisions, notifications, the location-hint ping) to the
 *   configured upstream base URL, whatever host the client chose (its default host, a `serverDomain`
 *   or an edge cluster from a location hint), so an upstream setting can never be bypassed;
 * - answer Delivery API and geo calls locally with 403 when remote calls are off, so nothing leaves
 *   the host and failures are immediate (403 is not retried) instead of slow DNS errors; requests
 *   that only carry notifications/telemetry are discarded with 204 (counted as "discarded");
 * - count requests by endpoint and outcome for /metrics.
 * Artifact downloads are never redirected. No call follows an HTTP redirect (`redirect: "manual"`).
 */
import { DELIVERY_PATH } from "../protocol/endpoints";
import { GEO_ENDPOINT } from "../protocol/endpoints";
import { createDefaultFetch } from "../platform/defaults";
import { createThreadFetch } from "../platform/thread-fetch";
import { urlParts } from "../platform/url-parts";
import type { FetchLike, FetchResponseLike } from "../platform/http";
import type { OutboundEndpoint } from "./metrics";

export interface OutboundFetchOptions {
  upstream: URL | "off" | undefined;
  /** Called once per request with its endpoint and outcome ("2xx".."5xx", "error", "disabled"). */
  onRequest?: (endpoint: OutboundEndpoint, outcome: string) => void;
  /** The underlying fetch (tests); default: undici over a keep-alive pool owned by this wrapper. */
  fetch?: FetchLike;
  /** Run the default pool on a worker thread (createThreadFetch); default false. */
  thread?: boolean;
}

export interface OutboundFetch {
  fetch: FetchLike;
  /** Releases the connection pool (after client.close()). */
  close(): Promise<void>;
}

const DISABLED_BODY = JSON.stringify({
  status: 403,
  message: "Remote calls are disabled in this service (upstream is off)",
});

function disabledResponse(): FetchResponseLike {
  const headers = new Map([["content-type", "application/json"]]);
  return {
    status: 403,
    ok: false,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
    text: async () => DISABLED_BODY,
    arrayBuffer: async () => new TextEncoder().encode(DISABLED_BODY).buffer as ArrayBuffer,
    json: async () => JSON.parse(DISABLED_BODY) as unknown,
  };
}

function discardedResponse(): FetchResponseLike {
  return {
    status: 204,
    ok: true,
    headers: { get: () => null },
    text: async () => "",
    arrayBuffer: async () => new ArrayBuffer(0),
    json: async () => ({}),
  };
}

/** A Delivery request that asks for no decision (notifications and/or telemetry only). */
function isNotificationOnly(body: unknown): boolean {
  if (typeof body !== "string") return false;
  try {
    const request = JSON.parse(body) as Record<string, unknown>;
    return request.execute === undefined && request.prefetch === undefined;
  } catch {
    return false;
  }
}

/** Which kind of call a URL is. */
export function classifyUrl(url: string): OutboundEndpoint {
  if (url.startsWith(GEO_ENDPOINT)) return "geo";
  try {
    const { pathname } = urlParts(url);
    if (pathname === DELIVERY_PATH || pathname === `${DELIVERY_PATH}/`) return "delivery";
    return "artifact";
  } catch {
    return "other";
  }
}

/** The upstream's Delivery endpoint without a query (computed once per upstream; a base path is kept as a prefix). */
export function upstreamDeliveryUrl(base: URL): string {
  return `${base.protocol}//${base.host}${base.pathname.replace(/\/+$/, "")}${DELIVERY_PATH}`;
}

/** The same Delivery call sent to `endpoint` (see upstreamDeliveryUrl), keeping its query string. */
export function rewriteToUpstream(url: string, endpoint: string): string {
  const { path, pathname } = urlParts(url);
  return endpoint + path.slice(pathname.length);
}

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

export function createOutboundFetch(options: OutboundFetchOptions): OutboundFetch {
  const owned = options.fetch ? undefined : options.thread ? createThreadFetch() : createDefaultFetch();
  const base: FetchLike = options.fetch ?? owned!.fetch;
  const record = (endpoint: OutboundEndpoint, outcome: string) => {
    try {
      options.onRequest?.(endpoint, outcome);
    } catch {
      // metrics must never break a call
    }
  };
  const upstream = options.upstream;
  const upstreamEndpoint = upstream instanceof URL ? upstreamDeliveryUrl(upstream) : undefined;

  const fetch: FetchLike = async (url, init) => {
    const endpoint = classifyUrl(url);
    if (upstream === "off" && (endpoint === "delivery" || endpoint === "geo")) {
      if (endpoint === "delivery" && isNotificationOnly(init?.body)) {
        // Impressions and telemetry have nowhere to go: discard them quietly (counted as such),
        // rather than fail them and log an error for every demo decision.
        record(endpoint, "discarded");
        return discardedResponse();
      }
      record(endpoint, "disabled");
      return disabledResponse();
    }
    const target = upstreamEndpoint !== undefined && endpoint === "delivery" ? rewriteToUpstream(url, upstreamEndpoint) : url;
    try {
      // Never follow a redirect, whichever fetch is underneath: the caller sees the 3xx and refuses it.
      const res = await base(target, { ...init, redirect: "manual" });
      record(endpoint, statusClass(res.status));
      return res;
    } catch (err) {
      record(endpoint, "error");
      throw err;
    }
  };

  return {
    fetch,
    close: async () => {
      await owned?.close();
    },
  };
}
