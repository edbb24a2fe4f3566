/**
 * Connection limits of the service's HTTP server, so that slow or idle clients cannot hold
 * connections (and file descriptors) indefinitely and starve `/health` and every real request:
 * a whole-request timeout, a headers timeout, an idle-socket timeout, the keep-alive timeout and a
 * cap on open connections. fastify leaves the request and connection timeouts at 0 (none); they
 * are set on the node:http server before it listens.
 */
import type { Server } from "node:http";
import type { ServerConfig } from "./config";

export type ConnectionLimits = Pick<
  ServerConfig,
  "requestTimeout" | "headersTimeout" | "idleTimeout" | "keepAliveTimeout" | "maxConnections"
>;

/**
 * How often node checks open requests against the request and headers timeouts (its default is
 * 30 s, which would let a slow request live up to 30 s past its timeout): a quarter of the
 * shortest timeout, between 50 ms and 1 s.
 */
export function connectionsCheckingInterval(limits: ConnectionLimits): number {
  const timeouts = [limits.requestTimeout, limits.headersTimeout].filter((t) => t > 0);
  if (timeouts.length === 0) return 1000;
  return Math.min(1000, Math.max(50, Math.floor(Math.min(...timeouts) / 4)));
}

const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Applies the limits to a server that does not listen yet (`connectionsCheckingInterval` is read on
 * listen). Connections refused because of `maxConnections` are reported through `onDropped` at most
 * once per 10 s, with how many were refused since the last report (one log line, not one per socket).
 */
export function applyConnectionLimits(
  server: Server,
  limits: ConnectionLimits,
  onDropped?: (count: number) => void,
  now: () => number = Date.now,
): void {
  let dropped = 0;
  let lastReport = Number.NEGATIVE_INFINITY;
  server.on("drop", () => {
    dropped++;
    if (now() - lastReport < DROP_LOG_INTERVAL_MS) return;
    lastReport = now();
    const count = dropped;
    dropped = 0;
    onDropped?.(count);
  });
  server.requestTimeout = limits.requestTimeout;
  server.headersTimeout = limits.headersTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.maxConnections = limits.maxConnections;
  // A public property of node:http servers (read when listening), missing from @types/node 20.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    connectionsCheckingInterval(limits);
  // A socket silent for this long while a request is open is destroyed.
  server.setTimeout(limits.idleTimeout);
}
