/**
 * Service configuration: command-line flags win over environment variables, which win over the
 * defaults. Everything is validated here once; a bad value is a startup error with a clear message
 * (ODE_ERR_INVALID_OPTION), never a silent fallback, because a service that starts with a setting
 * other than the one its operator wrote is worse than one that refuses to start.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import path from "node:path";
import { DecisioningError } from "../errors";
import { DECISIONING_METHODS, type DecisioningMethod } from "../client";
import { ACCESS_LOG_MODES, type AccessLogMode } from "./access-log";

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;
/**
 * A Delivery request carries one visitor, so a service deciding for many visitors sends one
 * notification request per visitor; with the library's default of 1 in flight (or 8) the bounded
 * queue overflows under load and drops notifications, with 32 it kept up (bench/load, docs/server.md).
 */
export const DEFAULT_NOTIFICATION_CONCURRENCY = 32;
export const DEFAULT_DEMO_CLIENT = "demo";
/**
 * The service's default notification capacity (estimated bytes of notifications kept while the
 * upstream is unreachable): a quarter of this process's V8 heap limit, between
 * 64 MiB and 1 GiB (1 GiB on a machine whose Node heap limit is 4 GiB). A 30 s upstream outage at
 * ~7,000 decisions/s queues ~210,000 impressions (~525 MB estimated): the library's fixed 256 MiB
 * dropped most of them in `npm run bench:service`; a small container gets a small bound.
 */
export function defaultNotificationCapacity(heapLimit = v8.getHeapStatistics().heap_size_limit): number {
  const mib = 1024 * 1024;
  return Math.min(1024 * mib, Math.max(64 * mib, Math.floor(heapLimit / 4 / mib) * mib));
}
const MAX_WORKERS = 64;
/** Connection limits (see src/server/limits.ts, docs/server.md "Connection limits"). */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;
export const DEFAULT_HEADERS_TIMEOUT = 5_000;
export const DEFAULT_IDLE_TIMEOUT = 10_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 72_000;
export const DEFAULT_MAX_CONNECTIONS = 512;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const PACKAGE_NAME = "on-device-decisioning";
const SAMPLE_ARTIFACT = path.join("samples", "sample-artifact.json");

export interface ServerConfig {
  port: number;
  host: string;
  /** Artifact path, file:// or http(s):// URL. */
  artifact: string;
  /** true when no artifact was configured and the bundled sample is served. */
  artifactIsSample: boolean;
  client: string;
  organizationId: string;
  decisioningMethod: DecisioningMethod;
  /**
   * Where Delivery API calls (remote decisions, notifications) go: a base URL, "off" (no remote
   * calls at all), or undefined (Adobe Target's edge, `<client>.tt.omtrdc.net`).
   */
  upstream: URL | "off" | undefined;
  pollingInterval: number | undefined;
  notificationFlushInterval: number | undefined;
  notificationConcurrency: number;
  /** Estimated bytes of queued notifications kept while the upstream is away; beyond, the oldest are dropped. */
  notificationCapacity: number;
  /** File that keeps unsent notifications across a restart (a worker adds `.<n>`), or undefined. */
  notificationSpool: string | undefined;
  /** Service processes sharing the port (1 = this process only). */
  workers: number;
  /** Outbound HTTP (notifications, remote calls, artifact) on a worker thread of each process. */
  outboundThread: boolean;
  bodyLimit: number;
  logLevel: LogLevel;
  /** One `requests served` summary per interval (default) or a line per Delivery request. */
  accessLog: AccessLogMode;
  shutdownTimeout: number;
  /** ms to receive a whole request (headers and body); 0 = no limit. */
  requestTimeout: number;
  /** ms to receive the request headers; 0 = no limit; at most requestTimeout. */
  headersTimeout: number;
  /** ms a socket may stay silent while a request is open; 0 = no limit. */
  idleTimeout: number;
  /** ms an idle keep-alive connection is kept between requests. */
  keepAliveTimeout: number;
  /** Open connections accepted at once; more are closed on arrival. */
  maxConnections: number;
}

/** Flag values as node:util parseArgs returns them (kebab-case keys). */
export type ConfigFlags = Record<string, string | boolean | undefined>;
export type ConfigEnv = Record<string, string | undefined>;

/** Every setting: its flag, its environment variable and what it means (docs/server.md mirrors this). */
export const SETTINGS = [
  { flag: "port", env: "PORT", help: `TCP port (default ${DEFAULT_PORT}; 0 = any free port)` },
  { flag: "host", env: "HOST", help: `interface to bind (default ${DEFAULT_HOST})` },
  {
    flag: "artifact",
    env: "ODD_ARTIFACT",
    help: "artifact path or URL (rules.json or rules.bin; default: the bundled sample)",
  },
  { flag: "client", env: "ODD_CLIENT", help: "Target client code (default: the artifact's meta.clientCode)" },
  {
    flag: "org",
    env: "ODD_ORG_ID",
    help: "IMS organization id (default: the artifact's meta.organizationId)",
  },
  {
    flag: "method",
    env: "ODD_DECISIONING_METHOD",
    help: "on-device | hybrid | server-side (default: hybrid with an upstream, else on-device)",
  },
  {
    flag: "upstream",
    env: "ODD_UPSTREAM",
    help: 'Delivery API base URL for remote calls and notifications, or "off"',
  },
  {
    flag: "polling-interval",
    env: "ODD_POLLING_INTERVAL",
    help: "artifact refresh interval in ms (default 300000; 0 = never)",
  },
  {
    flag: "notification-flush-interval",
    env: "ODD_NOTIFICATION_FLUSH_INTERVAL",
    help: "ms before queued notifications are sent (default 250)",
  },
  {
    flag: "notification-concurrency",
    env: "ODD_NOTIFICATION_CONCURRENCY",
    help: `notification requests in flight (default ${DEFAULT_NOTIFICATION_CONCURRENCY}; one request per visitor)`,
  },
  {
    flag: "notification-capacity",
    env: "ODD_NOTIFICATION_CAPACITY",
    help: "notifications kept while the upstream is away, in estimated heap bytes (default: a quarter of the heap limit, 64mb to 1gb)",
  },
  {
    flag: "notification-spool",
    env: "ODD_NOTIFICATION_SPOOL",
    help: "file keeping unsent notifications across a restart (default: none)",
  },
  {
    flag: "outbound-thread",
    env: "ODD_OUTBOUND_THREAD",
    help: "on | off: outbound HTTP (notifications, remote calls, artifact downloads) on a worker thread (default on)",
  },
  {
    flag: "workers",
    env: "ODD_WORKERS",
    help: "service processes sharing the port (default 1; `cores` = the available cores)",
  },
  {
    flag: "body-limit",
    env: "ODD_BODY_LIMIT",
    help: "max request body, bytes or with kb/mb suffix (default 1mb)",
  },
  { flag: "log-level", env: "LOG_LEVEL", help: `${LOG_LEVELS.join(" | ")} (default info)` },
  {
    flag: "access-log",
    env: "ODD_ACCESS_LOG",
    help: "summary (a count per route and status every 10 s) | lines (a line per Delivery request) (default summary)",
  },
  {
    flag: "shutdown-timeout",
    env: "ODD_SHUTDOWN_TIMEOUT",
    help: `ms to wait for a graceful stop before exiting 1 (default ${DEFAULT_SHUTDOWN_TIMEOUT})`,
  },
  {
    flag: "request-timeout",
    env: "ODD_REQUEST_TIMEOUT",
    help: `ms to receive a whole request, headers and body (default ${DEFAULT_REQUEST_TIMEOUT}; 0 = none)`,
  },
  {
    flag: "headers-timeout",
    env: "ODD_HEADERS_TIMEOUT",
    help: `ms to receive the request headers (default ${DEFAULT_HEADERS_TIMEOUT}; 0 = none)`,
  },
  {
    flag: "idle-timeout",
    env: "ODD_IDLE_TIMEOUT",
    help: `ms a connection may stay silent during a request (default ${DEFAULT_IDLE_TIMEOUT}; 0 = none)`,
  },
  {
    flag: "keep-alive-timeout",
    env: "ODD_KEEP_ALIVE_TIMEOUT",
    help: `ms an idle keep-alive connection is kept (default ${DEFAULT_KEEP_ALIVE_TIMEOUT})`,
  },
  {
    flag: "max-connections",
    env: "ODD_MAX_CONNECTIONS",
    help: `open connections accepted at once (default ${DEFAULT_MAX_CONNECTIONS})`,
  },
] as const;

function invalid(option: string, message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option } });
}

function pick(flags: ConfigFlags, env: ConfigEnv, flag: string, envName: string): string | undefined {
  const fromFlag = flags[flag];
  if (typeof fromFlag === "string") return fromFlag;
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function integer(value: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw invalid(name, `${name} must be an integer, got "${value}"`);
  const n = Number(value.trim());
  if (n < min || n > max) throw invalid(name, `${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** "1048576", "512kb", "1mb", "1MiB" → bytes. */
export function parseByteSize(value: string, name = "body-limit", maxMb = 100): number {
  const m = /^\s*(\d+)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(value);
  if (!m) throw invalid(name, `${name} must be a byte count like 1048576, 512kb or 1mb, got "${value}"`);
  const unit = (m[2] ?? "b").toLowerCase();
  const factor = unit.startsWith("m") ? 1024 * 1024 : unit.startsWith("k") ? 1024 : 1;
  const bytes = Number(m[1]) * factor;
  if (bytes < 1 || bytes > maxMb * 1024 * 1024)
    throw invalid(name, `${name} must be between 1 byte and ${maxMb}mb`);
  return bytes;
}

/**
 * One process unless asked: the authoring APIs (repository async-delete operations, the publisher's
 * served-artifact cache, in-memory capping) keep per-process state that several workers would not
 * share. `--workers cores` (or a number) scales the Delivery API across cores.
 */
function availableCores(): number {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WORKERS, cores));
}

function parseUpstream(value: string): URL | "off" {
  if (value.toLowerCase() === "off" || value.toLowerCase() === "none") return "off";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("upstream", `upstream must be an http(s) URL or "off", got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("upstream", `upstream must use http or https, got "${url.protocol}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw invalid("upstream", "upstream must be a base URL without query, fragment or credentials");
  }
  return url;
}

/**
 * The directory of this package: walks up from the running script and from the working directory
 * to the package.json named "on-device-decisioning" (works from src/ with tsx, from dist/, and from
 * an installed bin).
 */
export function findPackageRoot(
  starts: (string | undefined)[] = [process.argv[1], process.cwd()],
): string | undefined {
  for (const start of starts) {
    if (!start) continue;
    let dir = path.resolve(start);
    for (let i = 0; i < 8; i++) {
      const manifest = path.join(dir, "package.json");
      if (existsSync(manifest)) {
        try {
          if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME)
            return dir;
        } catch {
          // not a readable manifest; keep walking
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/** The bundled demo artifact (samples/sample-artifact.json), when it can be found. */
export function findSampleArtifact(): string | undefined {
  const root = findPackageRoot();
  const file = root ? path.join(root, SAMPLE_ARTIFACT) : undefined;
  return file && existsSync(file) ? file : undefined;
}

/** Reads `meta.clientCode` / `meta.organizationId` from a local JSON artifact, if it is one. */
function artifactIdentity(location: string): { client?: string; organizationId?: string } {
  if (/^https?:/i.test(location) || /\.bin$/i.test(location)) return {};
  try {
    const file = location.startsWith("file:") ? new URL(location) : location;
    const meta = (JSON.parse(readFileSync(file, "utf8")) as { meta?: Record<string, unknown> }).meta ?? {};
    return {
      ...(typeof meta.clientCode === "string" && meta.clientCode ? { client: meta.clientCode } : {}),
      ...(typeof meta.organizationId === "string" && meta.organizationId
        ? { organizationId: meta.organizationId }
        : {}),
    };
  } catch {
    return {}; // the client reports an unreadable artifact with its own coded error
  }
}

export interface ResolveOptions {
  /** Overrides the bundled sample lookup (tests). */
  sampleArtifact?: string;
}

type ConnectionLimitSettings = Pick<
  ServerConfig,
  "requestTimeout" | "headersTimeout" | "idleTimeout" | "keepAliveTimeout" | "maxConnections"
>;

function resolveConnectionLimits(get: (flag: string) => string | undefined): ConnectionLimitSettings {
  const ms = (flag: string, fallback: number, min = 0) => {
    const text = get(flag);
    return text === undefined ? fallback : integer(text, flag, min, 3_600_000);
  };
  const requestTimeout = ms("request-timeout", DEFAULT_REQUEST_TIMEOUT);
  const headersText = get("headers-timeout");
  // An explicit request timeout below the default headers timeout lowers the default with it.
  const headersTimeout =
    headersText === undefined
      ? requestTimeout === 0
        ? DEFAULT_HEADERS_TIMEOUT
        : Math.min(DEFAULT_HEADERS_TIMEOUT, requestTimeout)
      : integer(headersText, "headers-timeout", 0, 3_600_000);
  if (requestTimeout > 0 && (headersTimeout === 0 || headersTimeout > requestTimeout)) {
    throw invalid("headers-timeout", `headers-timeout (${headersTimeout}) must be between 1 and request-timeout (${requestTimeout})`);
  }
  const maxText = get("max-connections");
  return {
    requestTimeout,
    headersTimeout,
    idleTimeout: ms("idle-timeout", DEFAULT_IDLE_TIMEOUT),
    keepAliveTimeout: ms("keep-alive-timeout", DEFAULT_KEEP_ALIVE_TIMEOUT, 1),
    maxConnections: maxText === undefined ? DEFAULT_MAX_CONNECTIONS : integer(maxText, "max-connections", 1, 1_000_000),
  };
}

/** The notification capacity and spool, the worker count and the outbound thread. */
function deliverySettings(
  get: (flag: string) => string | undefined,
): Pick<ServerConfig, "notificationCapacity" | "notificationSpool" | "workers" | "outboundThread"> {
  const capacity = get("notification-capacity");
  const spool = get("notification-spool");
  const workers = get("workers");
  const thread = (get("outbound-thread") ?? "on").toLowerCase();
  if (thread !== "on" && thread !== "off")
    throw invalid("outboundThread", `outbound-thread must be on or off, got "${thread}"`);
  return {
    outboundThread: thread === "on",
    notificationCapacity:
      capacity === undefined
        ? defaultNotificationCapacity()
        : parseByteSize(capacity, "notification-capacity", 4096),
    notificationSpool: spool === undefined ? undefined : path.resolve(spool),
    workers:
      workers === undefined ? 1 : workers === "cores" ? availableCores() : integer(workers, "workers", 1, MAX_WORKERS),
  };
}

/** Resolves and validates the service configuration. Throws DecisioningError(ODE_ERR_INVALID_OPTION). */
export function resolveServerConfig(
  flags: ConfigFlags,
  env: ConfigEnv,
  options: ResolveOptions = {},
): ServerConfig {
  const get = (flag: string) => {
    const setting = SETTINGS.find((s) => s.flag === flag)!;
    return pick(flags, env, flag, setting.env);
  };
  const portText = get("port");
  const port = portText === undefined ? DEFAULT_PORT : integer(portText, "port", 0, 65535);
  const host = get("host") ?? DEFAULT_HOST;

  let artifact = get("artifact");
  const artifactIsSample = artifact === undefined;
  if (artifact === undefined) {
    artifact = options.sampleArtifact ?? findSampleArtifact();
    if (!artifact)
      throw invalid(
        "artifact",
        "No artifact configured (--artifact / ODD_ARTIFACT) and the bundled sample was not found",
      );
  }
  if (!/^(https?|file):/i.test(artifact)) artifact = path.resolve(artifact);

  const identity = artifactIdentity(artifact);
  const client = get("client") ?? identity.client ?? (artifactIsSample ? DEFAULT_DEMO_CLIENT : undefined);
  if (!client) throw invalid("client", "The Target client code is required (--client / ODD_CLIENT)");
  const organizationId = get("org") ?? identity.organizationId;
  if (!organizationId)
    throw invalid("organizationId", "The organization id is required (--org / ODD_ORG_ID)");

  const upstreamText = get("upstream");
  // The bundled demo must not call Adobe's edge with a made-up client: remote calls are off by default.
  const upstream =
    upstreamText !== undefined ? parseUpstream(upstreamText) : artifactIsSample ? "off" : undefined;

  const methodText = get("method");
  if (methodText !== undefined && !DECISIONING_METHODS.includes(methodText as DecisioningMethod)) {
    throw invalid(
      "decisioningMethod",
      `method must be one of ${DECISIONING_METHODS.join(", ")}, got "${methodText}"`,
    );
  }
  const decisioningMethod =
    (methodText as DecisioningMethod | undefined) ?? (upstream instanceof URL ? "hybrid" : "on-device");

  const polling = get("polling-interval");
  const flush = get("notification-flush-interval");
  const concurrency = get("notification-concurrency");
  const bodyLimitText = get("body-limit");
  const logLevel = (get("log-level") ?? "info").toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw invalid("logLevel", `log level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  const accessLog = get("access-log") ?? "summary";
  if (!ACCESS_LOG_MODES.includes(accessLog as AccessLogMode)) {
    throw invalid("accessLog", `access log must be one of ${ACCESS_LOG_MODES.join(", ")}, got "${accessLog}"`);
  }
  const shutdown = get("shutdown-timeout");

  const limits = resolveConnectionLimits(get);
  return {
    ...limits,
    port,
    host,
    artifact,
    artifactIsSample,
    client,
    organizationId,
    decisioningMethod,
    upstream,
    pollingInterval: polling === undefined ? undefined : integer(polling, "polling-interval", 0, 2 ** 31 - 1),
    notificationFlushInterval:
      flush === undefined ? undefined : integer(flush, "notification-flush-interval", 0, 3_600_000),
    notificationConcurrency:
      concurrency === undefined
        ? DEFAULT_NOTIFICATION_CONCURRENCY
        : integer(concurrency, "notification-concurrency", 1, 256),
    ...deliverySettings(get),
    bodyLimit: bodyLimitText === undefined ? DEFAULT_BODY_LIMIT : parseByteSize(bodyLimitText),
    logLevel: logLevel as LogLevel,
    accessLog: accessLog as AccessLogMode,
    shutdownTimeout:
      shutdown === undefined ? DEFAULT_SHUTDOWN_TIMEOUT : integer(shutdown, "shutdown-timeout", 1, 600_000),
  };
}
