/**
 * The artifact manager's options resolved once: timings and limits (invalid values logged and
 * defaulted), the source to load from, its format, and the warm-start cache.
 */
import { DecisioningError } from "../errors";
import { createArtifactCache, type ArtifactCache } from "./cache";
import type { DecodeOptions } from "./decode";
import { createHttpSource } from "./http-source";
import {
  DEFAULT_DOWNLOAD_TIMEOUT,
  DEFAULT_MAXIMUM_ARTIFACT_SIZE,
  positiveOr,
  resolveMaximumArtifactAge,
  resolvePollingInterval,
} from "./settings";
import type { BuiltInSource } from "./source";
import { wrapCustomSource } from "./sources";
import type { ArtifactManagerOptions } from "./types";
import { artifactUrl, locationKind, resolveArtifactFormat, type ArtifactFormat } from "./url";

export interface ManagerSettings {
  pollingInterval: number;
  /** ms per download. */
  timeoutMs: number;
  /** bytes. */
  maxSize: number;
  /** ms; undefined = no age limit. */
  maxAge: number | undefined;
  /** High-resolution clock for telemetry timings. */
  perfNow: () => number;
  source: BuiltInSource;
  location: string;
  format: ArtifactFormat;
  cache: ArtifactCache | undefined;
  decode: DecodeOptions;
}

/** Stands in for the file source where the platform has no filesystem: every load fails, coded. */
function noFileSystemSource(location: string): BuiltInSource {
  return {
    kind: "file",
    location,
    load: async () => {
      throw new DecisioningError(
        "ODE_ERR_ARTIFACT_UNAVAILABLE",
        `Cannot read artifact file ${location}: this runtime has no filesystem; use an http(s) artifactLocation or an artifactSource`,
        { recoverable: false, details: { artifactLocation: location } },
      );
    },
  };
}

function buildSource<T>(opts: ArtifactManagerOptions<T>, timeoutMs: number, maxSize: number, perfNow: () => number) {
  if (opts.artifactSource) return wrapCustomSource(opts.artifactSource);
  const location = artifactUrl(opts);
  if (locationKind(location) === "http") {
    return createHttpSource({
      url: location,
      fetch: opts.fetch,
      scheduler: opts.scheduler,
      timeoutMs,
      maximumArtifactSize: maxSize,
      performanceNow: perfNow,
    });
  }
  if (!opts.fileSource) return noFileSystemSource(location);
  return opts.fileSource({ location, maximumArtifactSize: maxSize, logger: opts.logger });
}

function buildCache<T>(opts: ArtifactManagerOptions<T>, source: BuiltInSource): ArtifactCache | undefined {
  const config = opts.artifactCache;
  if (config === undefined || config === null || source.kind === "file") return undefined;
  if (typeof config !== "string") return createArtifactCache(config, source.location, opts.logger);
  if (!opts.directoryStorage) {
    opts.logger.warn("artifactCache ignored: a cache directory needs a filesystem; pass an ArtifactCacheStorage");
    return undefined;
  }
  return createArtifactCache(opts.directoryStorage(config), source.location, opts.logger);
}

export function resolveManagerSettings<T>(opts: ArtifactManagerOptions<T>): ManagerSettings {
  const { logger } = opts;
  const pollingInterval = resolvePollingInterval(opts.pollingInterval, logger);
  const timeoutMs = positiveOr(opts.downloadTimeout, DEFAULT_DOWNLOAD_TIMEOUT, "downloadTimeout", logger);
  const maxSize = positiveOr(
    opts.maximumArtifactSize,
    DEFAULT_MAXIMUM_ARTIFACT_SIZE,
    "maximumArtifactSize",
    logger,
    Number.MAX_SAFE_INTEGER,
  );
  const maxAge = resolveMaximumArtifactAge(opts.maximumArtifactAge, logger);
  const perfNow = opts.performanceNow ?? (() => opts.scheduler.now());
  const source = buildSource(opts, timeoutMs, maxSize, perfNow);
  const location = source.location;
  return {
    pollingInterval,
    timeoutMs,
    maxSize,
    maxAge,
    perfNow,
    source,
    location,
    format: resolveArtifactFormat(opts.artifactFormat, location),
    cache: buildCache(opts, source),
    decode: { organizationId: opts.organizationId, maximumArtifactSize: maxSize, location },
  };
}
