import type { ArtifactCacheStorage } from "../artifact/cache";
import type { ArtifactSource } from "../artifact/source";
import { DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAXIMUM_ARTIFACT_SIZE, DEFAULT_POLLING_INTERVAL } from "../artifact/settings";
import { DEFAULT_ENVIRONMENT } from "../artifact/url";
import { DecisioningError } from "../errors";
import type { Logger, SafeLogger } from "../logger";
import type { FetchLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import { numberOption, POSITIVE } from "../primitives/options";
import type { Geo } from "../protocol/delivery";
import { DEFAULT_DELIVERY_RETRIES, DEFAULT_DELIVERY_TIMEOUT } from "../remote/delivery-client";
import { DEFAULT_GEO_CACHE_SIZE, DEFAULT_GEO_TIMEOUT } from "../remote/geo";
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_FLUSH_INTERVAL,
  DEFAULT_MAX_QUEUED,
  DEFAULT_NOTIFICATION_CONCURRENCY,
  DEFAULT_NOTIFICATION_RETRIES,
} from "../remote/notification-queue";

export type DecisioningMethod = "on-device" | "server-side" | "hybrid";
export const DECISIONING_METHODS: readonly DecisioningMethod[] = ["on-device", "server-side", "hybrid"];

export type EventName =
  | "clientReady"
  | "artifactDownloadSucceeded"
  | "artifactDownloadFailed"
  | "geoLocationUpdated"
  | "sendNotificationError"
  | "artifactUpdated"
  | "artifactStale";

export type EventListener = (event: { type: string; [key: string]: unknown }) => void;

/** Options of TargetClient.create(). Every option, its default and meaning is listed in the README. */
export interface ClientOptions {
  client: string;
  organizationId: string;
  decisioningMethod?: DecisioningMethod;
  timeout?: number;
  serverDomain?: string;
  secure?: boolean;
  targetLocationHint?: string;
  logger?: Logger;
  fetchApi?: FetchLike;
  pollingInterval?: number;
  artifactLocation?: string;
  artifactFormat?: "json" | "bin";
  artifactPayload?: unknown;
  propertyToken?: string;
  environment?: string;
  environmentId?: number;
  telemetryEnabled?: boolean;
  events?: Partial<Record<EventName, EventListener>>;
  version?: string;
  /** Default timeout of ready() in ms (the reference accepts and ignores it). */
  maximumWaitReady?: number;
  /** Accepted for compatibility; ignored, as in the reference. */
  cdnEnvironment?: string;
  /** Accepted for compatibility; ignored, as in the reference. */
  cdnBasePath?: string;

  // --- additions ---
  /** "split" (default): hybrid sends only what the artifact cannot decide; "whole": the reference's all-or-nothing. */
  hybridMode?: "split" | "whole";
  /** Retries of a Delivery API call on network errors, 429 and 5xx (default 2). */
  retries?: number;
  artifactDownloadTimeout?: number;
  maximumArtifactSize?: number;
  maximumArtifactAge?: number;
  artifactCache?: string | ArtifactCacheStorage;
  artifactSource?: ArtifactSource;
  watchArtifactFile?: boolean;
  notificationBatchSize?: number;
  notificationFlushInterval?: number;
  notificationRetries?: number;
  notificationMaxQueued?: number;
  /** Notification requests in flight at once (default 1; each request carries one visitor). */
  notificationConcurrency?: number;
  geoLookupTimeout?: number;
  geoCacheSize?: number;
  geoResolver?: (ipAddress: string) => Promise<Geo | undefined> | Geo | undefined;
  /** Time and timers (tests inject a manual scheduler). Default: global Date and unref'd timers. */
  scheduler?: Scheduler;
}

export interface ResolvedOptions extends ClientOptions {
  decisioningMethod: DecisioningMethod;
  timeout: number;
  secure: boolean;
  pollingInterval: number;
  telemetryEnabled: boolean;
  hybridMode: "split" | "whole";
  retries: number;
}

/**
 * Every client option's default, in one table. The values are the constants of the parts that
 * apply them (so the table and the behaviour cannot drift apart); the README lists them.
 */
export const DEFAULTS = {
  decisioningMethod: "server-side" as DecisioningMethod,
  timeout: DEFAULT_DELIVERY_TIMEOUT,
  secure: true,
  pollingInterval: DEFAULT_POLLING_INTERVAL,
  telemetryEnabled: true,
  environment: DEFAULT_ENVIRONMENT,
  hybridMode: "split" as const,
  retries: DEFAULT_DELIVERY_RETRIES,
  artifactDownloadTimeout: DEFAULT_DOWNLOAD_TIMEOUT,
  maximumArtifactSize: DEFAULT_MAXIMUM_ARTIFACT_SIZE,
  notificationBatchSize: DEFAULT_BATCH_SIZE,
  notificationFlushInterval: DEFAULT_FLUSH_INTERVAL,
  notificationRetries: DEFAULT_NOTIFICATION_RETRIES,
  notificationMaxQueued: DEFAULT_MAX_QUEUED,
  notificationConcurrency: DEFAULT_NOTIFICATION_CONCURRENCY,
  geoLookupTimeout: DEFAULT_GEO_TIMEOUT,
  geoCacheSize: DEFAULT_GEO_CACHE_SIZE,
};

function invalid(option: string, message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option } });
}

const isNonEmptyString = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function positiveNumber(
  options: Record<string, unknown>,
  key: string,
  fallback: number | undefined,
  log: SafeLogger,
  min = 0,
): number | undefined {
  return numberOption(options[key], fallback, { min }, () =>
    log.warn(`Option ${key} must be a number >= ${min}; using ${String(fallback)}`),
  );
}

/**
 * Validates client options. Throws for what cannot be defaulted (client, organizationId, an
 * unknown decisioningMethod, a non-function fetchApi); logs and defaults everything else.
 */
export function resolveOptions(input: unknown, log: SafeLogger): ResolvedOptions {
  if (input === null || typeof input !== "object" || Array.isArray(input) || Object.keys(input).length === 0) {
    throw invalid("options", "Options map is required");
  }
  const o = input as Record<string, unknown>;
  if (!isNonEmptyString(o.client)) throw invalid("client", "Client is required");
  if (!isNonEmptyString(o.organizationId)) throw invalid("organizationId", "Organization Id is required");
  if (o.decisioningMethod !== undefined && !DECISIONING_METHODS.includes(o.decisioningMethod as DecisioningMethod)) {
    throw invalid(
      "decisioningMethod",
      `Invalid Decisioning Method.  Must be set to one of: ${DECISIONING_METHODS.join(",")}`,
    );
  }
  if (o.fetchApi !== undefined && typeof o.fetchApi !== "function") {
    throw invalid("fetchApi", "fetchApi must be a function (a WHATWG fetch)");
  }
  if (o.artifactFormat !== undefined && o.artifactFormat !== "json" && o.artifactFormat !== "bin") {
    throw invalid("artifactFormat", 'artifactFormat must be "json" or "bin"');
  }
  if (o.hybridMode !== undefined && o.hybridMode !== "split" && o.hybridMode !== "whole") {
    throw invalid("hybridMode", 'hybridMode must be "split" or "whole"');
  }
  if (o.artifactPayload !== undefined && (o.artifactPayload === null || typeof o.artifactPayload !== "object")) {
    throw invalid("artifactPayload", "artifactPayload must be an artifact object");
  }
  if (o.events !== undefined && (o.events === null || typeof o.events !== "object")) {
    throw invalid("events", "events must be an object of event name to callback");
  }
  for (const key of ["artifactLocation", "propertyToken", "serverDomain", "targetLocationHint", "environment", "version"]) {
    if (o[key] !== undefined && typeof o[key] !== "string") throw invalid(key, `${key} must be a string`);
  }
  const timeout = numberOption(o.timeout, DEFAULTS.timeout, POSITIVE);
  return {
    ...(o as unknown as ClientOptions),
    decisioningMethod: (o.decisioningMethod as DecisioningMethod | undefined) ?? DEFAULTS.decisioningMethod,
    timeout,
    secure: o.secure !== false,
    pollingInterval: positiveNumber(o, "pollingInterval", DEFAULTS.pollingInterval, log) as number,
    telemetryEnabled: o.telemetryEnabled !== false,
    hybridMode: (o.hybridMode as "split" | "whole" | undefined) ?? DEFAULTS.hybridMode,
    retries: positiveNumber(o, "retries", DEFAULTS.retries, log) as number,
    maximumWaitReady: positiveNumber(o, "maximumWaitReady", undefined, log),
    notificationBatchSize: positiveNumber(o, "notificationBatchSize", DEFAULTS.notificationBatchSize, log, 1),
    notificationFlushInterval: positiveNumber(o, "notificationFlushInterval", DEFAULTS.notificationFlushInterval, log),
    notificationRetries: positiveNumber(o, "notificationRetries", DEFAULTS.notificationRetries, log),
    notificationMaxQueued: positiveNumber(o, "notificationMaxQueued", DEFAULTS.notificationMaxQueued, log, 1),
    notificationConcurrency: positiveNumber(o, "notificationConcurrency", DEFAULTS.notificationConcurrency, log, 1),
    geoLookupTimeout: positiveNumber(o, "geoLookupTimeout", DEFAULTS.geoLookupTimeout, log, 1),
    geoCacheSize: positiveNumber(o, "geoCacheSize", DEFAULTS.geoCacheSize, log),
    artifactDownloadTimeout: positiveNumber(o, "artifactDownloadTimeout", DEFAULTS.artifactDownloadTimeout, log, 1),
    maximumArtifactSize: positiveNumber(o, "maximumArtifactSize", DEFAULTS.maximumArtifactSize, log, 1),
    maximumArtifactAge: positiveNumber(o, "maximumArtifactAge", undefined, log, 1),
  };
}
