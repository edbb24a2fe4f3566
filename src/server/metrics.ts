/**
 * The service's metrics (prom-client): decisions (by method and outcome) and their latency, the
 * artifact (age, version, downloads), remote calls, outbound HTTP, the notification queue and the
 * HTTP server. Artifact and notification figures are read from `client.status()` at scrape time, so
 * they can never drift from the client's own state; downloads are counted from the client's events.
 *
 * With `--workers N`, `render()` in a worker asks the primary for the whole cluster's figures
 * (prom-client's AggregatorRegistry: counters and histograms summed, gauges summed or maxed as
 * declared below), so any worker answers `/metrics` for all of them.
 */
import cluster from "node:cluster";
import { AggregatorRegistry, Counter, Gauge, Registry, prometheusContentType } from "prom-client";
import type { ClientStatus, TargetClient } from "../client";
import { tallyCounter, tallyHistogram } from "./tally";

export type DecisionOutcome = "ok" | "partial" | "error";
export type OutboundEndpoint = "delivery" | "artifact" | "geo" | "other";

export const PROMETHEUS_CONTENT_TYPE = prometheusContentType;

/** Seconds; decisions are sub-millisecond on-device and up to the remote timeout in hybrid. */
export const DECISION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

const METRICS_REQUEST = "odd:metrics-request";
const METRICS_REPLY = "odd:metrics-reply";
/** Longer than prom-client's own 5 s wait for every worker in the primary. */
const CLUSTER_METRICS_TIMEOUT_MS = 6_000;

export interface ServiceMetrics {
  readonly registry: Registry;
  decision(method: string, outcome: DecisionOutcome, seconds: number, code?: string): void;
  remoteCall(outcome: "ok" | "error"): void;
  outbound(endpoint: OutboundEndpoint, outcome: string): void;
  httpRequest(route: string, method: string, status: number): void;
  inFlight(delta: 1 | -1): void;
  /** The exposition text: this process's metrics, or the whole cluster's in a worker. */
  render(): Promise<string>;
}

type StatusSource = Pick<TargetClient, "status" | "on">;

/** A counter in `registry` (for the API plugins that add their own series to /metrics). */
export function counter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[] = [],
): Counter {
  return new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
}

type Aggregator = "sum" | "max" | "min";

/** A gauge set from `value()` at scrape time. */
function valueGauge(
  registers: Registry[],
  name: string,
  help: string,
  value: () => number,
  aggregator: Aggregator = "sum",
): void {
  new Gauge({
    name,
    help,
    registers,
    aggregator,
    collect() {
      this.set(value());
    },
  });
}

/** Gauges and counters whose values are read from the client's status at scrape time. */
function statusMetrics(registry: Registry, client: StatusSource, now: () => number): void {
  let status: ClientStatus | undefined;
  // The collects of one scrape that run in the same tick share one status().
  const read = () => {
    if (!status) {
      status = client.status();
      queueMicrotask(() => (status = undefined));
    }
    return status;
  };
  const registers = [registry];
  valueGauge(
    registers,
    "odd_artifact_loaded",
    "1 when a decisioning artifact is loaded, else 0.",
    () => (read().artifact ? 1 : 0),
    "min",
  );
  valueGauge(
    registers,
    "odd_artifact_fresh",
    "1 when the artifact is within maximumArtifactAge (or no limit is set).",
    () => (read().fresh ? 1 : 0),
    "min",
  );
  new Gauge({
    name: "odd_artifact_age_seconds",
    help: "Seconds since the artifact in use was retrieved or confirmed.",
    registers,
    aggregator: "max",
    collect() {
      this.reset();
      const a = read().artifact;
      if (a) this.set(Math.max(0, now() - a.retrievedAt) / 1000);
    },
  });
  new Gauge({
    name: "odd_artifact_info",
    help: "The artifact in use (value 1).",
    labelNames: ["version", "generated_at", "source"],
    registers,
    aggregator: "max",
    collect() {
      this.reset();
      const a = read().artifact;
      if (a) this.set({ version: a.version, generated_at: a.generatedAt ?? "", source: a.source }, 1);
    },
  });
  notificationMetrics(registers, read);
  valueGauge(
    registers,
    "odd_process_heap_used_bytes",
    "V8 heap in use.",
    () => process.memoryUsage().heapUsed,
  );
  valueGauge(registers, "odd_process_resident_memory_bytes", "Resident set size.", () =>
    process.memoryUsage.rss(),
  );
}

function notificationMetrics(registers: Registry[], read: () => ClientStatus): void {
  new Counter({
    name: "odd_notifications_total",
    help:
      "Display/click notifications since start, by outcome: sent; failed (rejected or retries exhausted); " +
      "dropped (queue at capacity); lost (unsent at shutdown, no spool); spooled (unsent at shutdown, saved).",
    labelNames: ["outcome"],
    registers,
    collect() {
      const n = read().notifications;
      this.reset();
      this.inc({ outcome: "sent" }, n.sentNotifications);
      this.inc({ outcome: "failed" }, n.failedNotifications);
      this.inc({ outcome: "dropped" }, n.dropped);
      this.inc({ outcome: "lost" }, n.lostNotifications);
      this.inc({ outcome: "spooled" }, n.spooledNotifications);
    },
  });
  new Counter({
    name: "odd_rule_conditions_over_budget_total",
    help: "Rule conditions stopped by their evaluation budget (those rules did not match).",
    registers,
    collect() {
      this.reset();
      this.inc(read().conditionsOverBudget ?? 0);
    },
  });
  new Counter({
    name: "odd_notification_requests_total",
    help: "Notification requests since start, by outcome.",
    labelNames: ["outcome"],
    registers,
    collect() {
      const n = read().notifications;
      this.reset();
      this.inc({ outcome: "sent" }, n.sent);
      this.inc({ outcome: "failed" }, n.failed);
    },
  });
  const gauge = (
    name: string,
    help: string,
    value: (s: ClientStatus) => number,
    aggregator: Aggregator = "sum",
  ) => valueGauge(registers, name, help, () => value(read()), aggregator);
  gauge("odd_notifications_queued", "Notifications waiting to be sent.", (s) => s.notifications.queued);
  gauge(
    "odd_notifications_queued_bytes",
    "Estimated bytes of the notifications waiting.",
    (s) => s.notifications.queuedBytes,
  );
  gauge(
    "odd_notification_requests_in_flight",
    "Notification requests in flight.",
    (s) => s.notifications.inFlight,
  );
  gauge(
    "odd_notification_upstream_down",
    "1 while notification sends fail and only retries go out.",
    (s) => (s.notifications.upstreamDown ? 1 : 0),
    "max",
  );
}

/** In a cluster worker: asks the primary for the aggregated text (see serveClusterMetrics). */
function clusterRender(local: () => Promise<string>): Promise<string> {
  return new Promise((resolve) => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const onMessage = (message: { type?: string; id?: string; text?: string }) => {
      if (message?.type !== METRICS_REPLY || message.id !== id) return;
      done(message.text);
    };
    const timer = setTimeout(() => done(undefined), CLUSTER_METRICS_TIMEOUT_MS);
    const done = (text: string | undefined) => {
      clearTimeout(timer);
      process.off("message", onMessage);
      if (text !== undefined) resolve(text);
      else void local().then((t) => resolve(`# cluster metrics unavailable; this worker only\n${t}`));
    };
    process.on("message", onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

/** In the primary: answers workers' metrics requests with the whole cluster's figures. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: { type?: string; id?: string }) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_REPLY, id: message.id, text }),
      () => worker.send({ type: METRICS_REPLY, id: message.id }),
    );
  });
}

/** Decision, remote-call, outbound, artifact-event and HTTP series (updated by handlers and events). */
function requestMetrics(registry: Registry) {
  const registers = [registry];
  const series = (name: string, help: string, labelNames: readonly string[] = []) =>
    counter(registry, name, help, labelNames);
  return {
    decisions: tallyCounter(
      registry,
      "odd_decisions_total",
      "Delivery requests decided, by decisioning method and outcome.",
      ["method", "outcome"],
    ),
    decisionErrors: series("odd_decision_errors_total", "Delivery requests that failed, by error code.", [
      "code",
    ]),
    latency: tallyHistogram(
      registry,
      "odd_decision_duration_seconds",
      "Time to decide one Delivery request (getOffers), by decisioning method.",
      "method",
      DECISION_BUCKETS,
    ),
    remote: series(
      "odd_remote_calls_total",
      "Decisions that needed the upstream Delivery API (server-side or the remote part of hybrid), by outcome.",
      ["outcome"],
    ),
    outbound: tallyCounter(
      registry,
      "odd_outbound_requests_total",
      "HTTP requests made by the service (Delivery API, artifact, geo), by endpoint and outcome (status class or error).",
      ["endpoint", "outcome"],
    ),
    downloads: series("odd_artifact_downloads_total", "Artifact loads, by outcome.", ["outcome"]),
    updates: series("odd_artifact_updates_total", "Times a new artifact replaced the one in use."),
    stale: series(
      "odd_artifact_stale_total",
      "Times the artifact was reported older than maximumArtifactAge.",
    ),
    notificationErrors: series(
      "odd_notification_errors_total",
      "sendNotificationError events (a notification batch given up on).",
    ),
    http: tallyCounter(
      registry,
      "odd_http_requests_total",
      "HTTP requests served, by route, method and status code.",
      ["route", "method", "status"],
    ),
    httpInFlight: new Gauge({
      name: "odd_delivery_requests_in_flight",
      help: "Delivery API requests being decided.",
      registers,
    }),
  };
}

export function createServiceMetrics(client: StatusSource, now: () => number = Date.now): ServiceMetrics {
  const registry = new Registry();
  const registers = [registry];
  const {
    decisions,
    decisionErrors,
    latency,
    remote,
    outbound,
    downloads,
    updates,
    stale,
    notificationErrors,
    http,
    httpInFlight,
  } = requestMetrics(registry);
  new Gauge({
    name: "odd_process_uptime_seconds",
    help: "Seconds since the process started.",
    registers,
    aggregator: "max",
    collect() {
      this.set(Math.round(process.uptime() * 1000) / 1000);
    },
  });
  statusMetrics(registry, client, now);

  client.on("artifactDownloadSucceeded", () => downloads.inc({ outcome: "success" }));
  client.on("artifactDownloadFailed", () => downloads.inc({ outcome: "failure" }));
  client.on("artifactUpdated", () => updates.inc());
  client.on("artifactStale", () => stale.inc());
  client.on("sendNotificationError", () => notificationErrors.inc());
  downloads.inc({ outcome: "success" }, 0);
  downloads.inc({ outcome: "failure" }, 0);
  httpInFlight.set(0);
  if (cluster.isWorker) {
    // Constructing an aggregator registers prom-client's answer to the primary's requests.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }

  const local = () => registry.metrics();
  return {
    registry,
    decision(method, outcome, seconds, code) {
      decisions.add(method, outcome);
      latency.observe(method, seconds);
      if (code) decisionErrors.inc({ code });
    },
    remoteCall: (outcome) => remote.inc({ outcome }),
    outbound: (endpoint, outcome) => outbound.add(endpoint, outcome),
    httpRequest: (route, method, status) => http.add(route, method, String(status)),
    inFlight: (delta) => httpInFlight.inc(delta),
    render: () => (cluster.isWorker && process.send ? clusterRender(local) : local()),
  };
}
