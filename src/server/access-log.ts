/**
 * The access log. A `request completed` line per request is measurable on the Delivery API's hot
 * path (about a tenth of a request's CPU in `npm run bench:service`), so by default the service
 * counts requests and logs one `requests served` summary per interval instead:
 *
 * - `summary` (default): every request counted by route, method and status; one info line per
 *   interval with the counts since the last one (none when nothing was served); a request answered
 *   5xx still gets its own info line, every other request a debug line (`LOG_LEVEL=debug`).
 * - `lines`: a `request completed` info line for every Delivery API request and every 5xx, a debug
 *   line for the others.
 *
 * Lines carry the method, the route pattern, the status and the duration: never bodies, query
 * strings (they hold session ids) or headers.
 */
import type { FastifyBaseLogger } from "fastify";
import { DELIVERY_PATH } from "../protocol/endpoints";

export const ACCESS_LOG_MODES = ["summary", "lines"] as const;
export type AccessLogMode = (typeof ACCESS_LOG_MODES)[number];
export const DEFAULT_ACCESS_LOG_INTERVAL_MS = 10_000;

export interface AccessLog {
  /** Logs or counts one answered request; `log` is the request's logger (it carries the request id). */
  record(log: FastifyBaseLogger, method: string, route: string, status: number, elapsedMs: number): void;
  /** Logs the summary of what was counted since the last one and stops the interval. */
  close(): void;
}

/** Requests counted since the last summary: route → method → status → count. */
type Counts = Map<string, Map<string, Map<number, number>>>;

function count(counts: Counts, route: string, method: string, status: number): void {
  let byMethod = counts.get(route);
  if (!byMethod) counts.set(route, (byMethod = new Map()));
  let byStatus = byMethod.get(method);
  if (!byStatus) byMethod.set(method, (byStatus = new Map()));
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
}

/** `{ "POST /rest/v1/delivery": { "200": 9512 } }` and the total. */
function describe(counts: Counts): { requests: number; routes: Record<string, Record<string, number>> } {
  let requests = 0;
  const routes: Record<string, Record<string, number>> = {};
  for (const [route, byMethod] of counts) {
    for (const [method, byStatus] of byMethod) {
      const statuses: Record<string, number> = {};
      for (const [status, n] of byStatus) {
        statuses[String(status)] = n;
        requests += n;
      }
      routes[`${method} ${route}`] = statuses;
    }
  }
  return { requests, routes };
}

function lineLevel(mode: AccessLogMode, route: string, status: number): "info" | "debug" {
  if (status >= 500) return "info";
  return mode === "lines" && route === DELIVERY_PATH ? "info" : "debug";
}

export function createAccessLog(
  logger: FastifyBaseLogger,
  mode: AccessLogMode,
  intervalMs = DEFAULT_ACCESS_LOG_INTERVAL_MS,
): AccessLog {
  let counts: Counts = new Map();
  let since = Date.now();
  const summarise = () => {
    const now = Date.now();
    if (counts.size > 0) {
      const { requests, routes } = describe(counts);
      logger.info({ seconds: Math.round((now - since) / 100) / 10, requests, routes }, "requests served");
    }
    counts = new Map();
    since = now;
  };
  const timer = mode === "summary" ? setInterval(summarise, intervalMs) : undefined;
  timer?.unref();
  return {
    record(log, method, route, status, elapsedMs) {
      if (mode === "summary") count(counts, route, method, status);
      log[lineLevel(mode, route, status)](
        { method, route, status, ms: Math.round(elapsedMs * 100) / 100 },
        "request completed",
      );
    },
    close() {
      if (!timer) return;
      clearInterval(timer);
      summarise();
    },
  };
}
