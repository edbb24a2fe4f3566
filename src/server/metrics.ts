/**
 * The service's metrics: decisions (by method and outcome) and their latency, the artifact (age,
 * version, downloads), remote calls, outbound HTTP, the notification queue and the HTTP server.
 * Artifact and notification figures are read from `client.status()` at scrape time, so they can
 * never drift from the client's own state; downloads are counted from the client's events.
 */
import type { ClientStatus, TargetClient } from "../client";
import { Registry } from "./prometheus";

export type DecisionOutcome = "ok" | "partial" | "error";
export type OutboundEndpoint = "delivery" | "artifact" | "geo" | "other";

/** Seconds; decisions are sub-millisecond on-device and up to the remote timeout in hybrid. */
export const DECISION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

export interface ServiceMetrics {
  readonly registry: Registry;
  decision(method: string, outcome: DecisionOutcome, seconds: number, code?: string): void;
  remoteCall(outcome: "ok" | "error"): void;
  outbound(endpoint: OutboundEndpoint, outcome: string): void;
  httpRequest(route: string, method: string, status: number): void;
  inFlight(delta: 1 | -1): void;
  render(): string;
}

type StatusSource = Pick<TargetClient, "status" | "on">;

/** Decision, remote-call, outbound and HTTP counters (updated by the request handlers). */
function requestMetrics(r: Registry) {
  return {
    decisions: r.counter("odd_decisions_total", "Delivery requests decided, by decisioning method and outcome.", ["method", "outcome"]),
    decisionErrors: r.counter("odd_decision_errors_total", "Delivery requests that failed, by error code.", ["code"]),
    latency: r.histogram(
      "odd_decision_duration_seconds",
      "Time to decide one Delivery request (getOffers), by decisioning method.",
      ["method"],
      DECISION_BUCKETS,
    ),
    remote: r.counter(
      "odd_remote_calls_total",
      "Decisions that needed the upstream Delivery API (server-side or the remote part of hybrid), by outcome.",
      ["outcome"],
    ),
    outbound: r.counter(
      "odd_outbound_requests_total",
      "HTTP requests made by the service (Delivery API, artifact, geo), by endpoint and outcome (status class or error).",
      ["endpoint", "outcome"],
    ),
    http: r.counter("odd_http_requests_total", "HTTP requests served, by route, method and status code.", ["route", "method", "status"]),
    httpInFlight: r.gauge("odd_delivery_requests_in_flight", "Delivery API requests being decided."),
  };
}

/** Artifact gauges and counters: counted from client events, read from client status at collection. */
function artifactMetrics(r: Registry, client: StatusSource, now: () => number) {
  const loaded = r.gauge("odd_artifact_loaded", "1 when a decisioning artifact is loaded, else 0.");
  const fresh = r.gauge("odd_artifact_fresh", "1 when the artifact is within maximumArtifactAge (or no limit is set).");
  const age = r.gauge("odd_artifact_age_seconds", "Seconds since the artifact in use was retrieved or confirmed.");
  const info = r.gauge("odd_artifact_info", "The artifact in use (value 1).", ["version", "generated_at", "source"]);
  const downloads = r.counter("odd_artifact_downloads_total", "Artifact loads, by outcome.", ["outcome"]);
  const updates = r.counter("odd_artifact_updates_total", "Times a new artifact replaced the one in use.");
  const stale = r.counter("odd_artifact_stale_total", "Times the artifact was reported older than maximumArtifactAge.");
  client.on("artifactDownloadSucceeded", () => downloads.inc({ outcome: "success" }));
  client.on("artifactDownloadFailed", () => downloads.inc({ outcome: "failure" }));
  client.on("artifactUpdated", () => updates.inc());
  client.on("artifactStale", () => stale.inc());
  downloads.inc({ outcome: "success" }, 0);
  downloads.inc({ outcome: "failure" }, 0);
  return (status: ClientStatus) => {
    loaded.set(undefined, status.artifact ? 1 : 0);
    fresh.set(undefined, status.fresh ? 1 : 0);
    info.reset();
    age.reset();
    if (!status.artifact) return;
    const a = status.artifact;
    age.set(undefined, Math.max(0, now() - a.retrievedAt) / 1000);
    info.set({ version: a.version, generated_at: a.generatedAt ?? "", source: a.source }, 1);
  };
}

/** Notification totals and queue gauges, read from client status at collection. */
function notificationMetrics(r: Registry, client: StatusSource) {
  const errors = r.counter("odd_notification_errors_total", "sendNotificationError events (a notification batch given up on).");
  const notifications = r.counter(
    "odd_notifications_total",
    "Display/click notifications since start, by outcome: sent, failed (after retries), dropped (queue full).",
    ["outcome"],
  );
  const requests = r.counter("odd_notification_requests_total", "Notification requests since start, by outcome.", ["outcome"]);
  const queued = r.gauge("odd_notifications_queued", "Notifications waiting to be sent.");
  const inFlight = r.gauge("odd_notification_requests_in_flight", "Notification requests in flight.");
  client.on("sendNotificationError", () => errors.inc());
  return (n: ClientStatus["notifications"]) => {
    notifications.setTotal({ outcome: "sent" }, n.sentNotifications);
    notifications.setTotal({ outcome: "failed" }, n.failedNotifications);
    notifications.setTotal({ outcome: "dropped" }, n.dropped);
    requests.setTotal({ outcome: "sent" }, n.sent);
    requests.setTotal({ outcome: "failed" }, n.failed);
    queued.set(undefined, n.queued);
    inFlight.set(undefined, n.inFlight);
  };
}

/** Heap, resident memory and uptime of this process. */
function processMetrics(r: Registry) {
  const heap = r.gauge("odd_process_heap_used_bytes", "V8 heap in use.");
  const rss = r.gauge("odd_process_resident_memory_bytes", "Resident set size.");
  const uptime = r.gauge("odd_process_uptime_seconds", "Seconds since the process started.");
  return () => {
    const mem = process.memoryUsage();
    heap.set(undefined, mem.heapUsed);
    rss.set(undefined, mem.rss);
    uptime.set(undefined, Math.round(process.uptime() * 1000) / 1000);
  };
}

export function createServiceMetrics(client: StatusSource, now: () => number = Date.now): ServiceMetrics {
  const r = new Registry();
  const m = requestMetrics(r);
  const collectArtifact = artifactMetrics(r, client, now);
  const collectNotifications = notificationMetrics(r, client);
  const collectProcess = processMetrics(r);
  m.httpInFlight.set(undefined, 0);
  r.onCollect(() => {
    const status: ClientStatus = client.status();
    collectArtifact(status);
    collectNotifications(status.notifications);
    collectProcess();
  });
  return {
    registry: r,
    decision(method, outcome, seconds, code) {
      m.decisions.inc({ method, outcome });
      m.latency.observe({ method }, seconds);
      if (code) m.decisionErrors.inc({ code });
    },
    remoteCall: (outcome) => m.remote.inc({ outcome }),
    outbound: (endpoint, outcome) => m.outbound.inc({ endpoint, outcome }),
    httpRequest: (route, method, status) => m.http.inc({ route, method, status: String(status) }),
    inFlight: (delta) => m.httpInFlight.inc(undefined, delta),
    render: () => r.render(),
  };
}
