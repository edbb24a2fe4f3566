/**
 * The artifact manager: obtains the rule artifact (payload, cache, file, HTTP or a custom source),
 * validates and compiles every candidate *before* it may replace the one in use, keeps polling,
 * and never loses the last good artifact. All I/O goes through injected ports.
 */
import { DecisioningError, type ErrorCode } from "../errors";
import { artifactTelemetryEntry } from "../protocol/telemetry";
import type { TimerHandle } from "../platform/scheduler";
import { createBackoff, resolveBackoff } from "../primitives/backoff";
import { createArtifactCache, type ArtifactCache, type ArtifactCacheStorage } from "./cache";
import { compileArtifact, decodeArtifactBody } from "./decode";
import { parseArtifactText, validateArtifact } from "./parse";
import { createPoller } from "./poller";
import type { Artifact } from "./schema";
import { createHttpSource } from "./http-source";
import type { ArtifactSourceKind, BuiltInSource, InternalLoadResult } from "./source";
import { wrapCustomSource } from "./custom-source";
import {
  ARTIFACT_POLL_BACKOFF,
  DEFAULT_DOWNLOAD_TIMEOUT,
  DEFAULT_MAXIMUM_ARTIFACT_SIZE,
  WATCH_DEBOUNCE_MS,
  positiveOr,
  resolveMaximumArtifactAge,
  resolvePollingInterval,
} from "./settings";
import type { ArtifactManager, ArtifactManagerOptions, LoadedArtifact } from "./types";
import { artifactUrl, locationKind, resolveArtifactFormat, type ArtifactFormat } from "./url";

export { artifactUrl } from "./url";
export {
  DEFAULT_DOWNLOAD_TIMEOUT,
  DEFAULT_MAXIMUM_ARTIFACT_SIZE,
  DEFAULT_POLLING_INTERVAL,
  MINIMUM_POLLING_INTERVAL,
  resolvePollingInterval,
} from "./settings";
export type { ArtifactSource } from "./source";
export type { ArtifactCacheStorage } from "./cache";
export type { ArtifactManager, ArtifactManagerOptions, LoadedArtifact } from "./types";

/** The storage of `artifactCache`: a port as it is, a directory path through the platform's directory storage. */
function resolveCacheStorage(opts: ArtifactManagerOptions<unknown>): ArtifactCacheStorage | undefined {
  const config = opts.artifactCache;
  if (config === undefined || config === null) return undefined;
  if (typeof config !== "string") return config;
  if (opts.directoryStorage) return opts.directoryStorage(config);
  opts.logger.warn("artifactCache ignored: a directory cache needs a file system; pass a storage port instead");
  return undefined;
}

export function createArtifactManager<T>(opts: ArtifactManagerOptions<T>): ArtifactManager<T> {
  const { scheduler, logger } = opts;
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
  const perfNow = opts.performanceNow ?? (() => scheduler.now());

  const source: BuiltInSource = opts.artifactSource
    ? wrapCustomSource(opts.artifactSource)
    : buildSource(artifactUrl(opts));
  const location = source.location;
  const format: ArtifactFormat = resolveArtifactFormat(opts.artifactFormat, location);
  const cacheStorage = source.kind === "file" ? undefined : resolveCacheStorage(opts);
  const cache: ArtifactCache | undefined = cacheStorage
    ? createArtifactCache(cacheStorage, location, logger)
    : undefined;

  function buildSource(loc: string): BuiltInSource {
    if (locationKind(loc) === "http") {
      return createHttpSource({
        url: loc,
        fetch: opts.fetch,
        scheduler,
        timeoutMs,
        maximumArtifactSize: maxSize,
        performanceNow: perfNow,
      });
    }
    if (!opts.fileSource) {
      throw new DecisioningError(
        "ODE_ERR_INVALID_OPTION",
        `artifactLocation must be an http(s) URL on this platform (no file system): ${loc}`,
        { details: { option: "artifactLocation" } },
      );
    }
    return opts.fileSource({ location: loc, maximumArtifactSize: maxSize, logger });
  }

  const decodeOpts = { organizationId: opts.organizationId, maximumArtifactSize: maxSize, location };
  let current: LoadedArtifact<T> | undefined;
  let validator: string | undefined; // change token sent back to the source (ETag, file stamp)
  let retrievalCount = 0;
  let staleReported: LoadedArtifact<T> | undefined;
  let started = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let startup: Promise<void> | undefined;
  let stopWatch: (() => void) | undefined;
  let debounce: TimerHandle | undefined;
  const waiters: { resolve: (a: LoadedArtifact<T>) => void; reject: (e: unknown) => void }[] = [];
  const listeners = new Set<(a: LoadedArtifact<T>) => void>();

  const poller = createPoller({
    scheduler,
    intervalMs: pollingInterval,
    backoff: createBackoff(resolveBackoff(opts.backoff, ARTIFACT_POLL_BACKOFF), () => scheduler.random()),
    run: loadOnce,
    onFailure: (err, retryInMs) => void report(err, retryInMs),
    onTick: () => checkStale(scheduler.now()),
    retryUntilLoaded: opts.retryUntilLoaded ?? true,
  });

  function emit(type: string, payload: Record<string, unknown>): void {
    try {
      opts.emit(type, payload);
    } catch (err) {
      logger.warn(`an ${type} event handler threw:`, err instanceof Error ? err.message : err);
    }
  }

  function closedError(): DecisioningError {
    return new DecisioningError("ODE_ERR_CLOSED", "The artifact manager is closed");
  }

  function toError(e: unknown): DecisioningError {
    return DecisioningError.is(e)
      ? e
      : new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", e instanceof Error ? e.message : String(e), {
          cause: e,
          recoverable: true,
        });
  }

  /** Logs and emits artifactDownloadFailed (never after close, never for aborts). */
  function report(e: unknown, retryInMs?: number): void {
    const err = toError(e);
    if (closed || err.code === "ODE_ERR_ABORTED") return;
    const retry = retryInMs === undefined ? "" : `; retrying in ${retryInMs} ms`;
    if (err.recoverable)
      logger.warn(`artifact not loaded from ${location} (${err.code}): ${err.message}${retry}`);
    else logger.error(`artifact rejected from ${location} (${err.code}): ${err.message}${retry}`);
    emit("artifactDownloadFailed", { artifactLocation: location, error: err });
    checkStale(scheduler.now());
  }

  function adopt(
    artifact: Artifact,
    compiled: T,
    meta: { source: ArtifactSourceKind; etag?: string; retrievedAt: number },
  ): LoadedArtifact<T> {
    retrievalCount++;
    const generatedAt = artifact.meta?.generatedAt;
    const record: LoadedArtifact<T> = Object.freeze({
      artifact,
      compiled,
      version: artifact.version,
      ...(typeof generatedAt === "string" ? { generatedAt } : {}),
      ...(meta.etag !== undefined ? { etag: meta.etag } : {}),
      retrievedAt: meta.retrievedAt,
      source: meta.source,
      location,
      retrievalCount,
    });
    current = record;
    return record;
  }

  function announce(record: LoadedArtifact<T>): void {
    emit("artifactUpdated", {
      version: record.version,
      etag: record.etag,
      generatedAt: record.generatedAt,
      source: record.source,
      location: record.location,
      retrievedAt: record.retrievedAt,
    });
    for (const listener of [...listeners]) {
      try {
        listener(record);
      } catch (err) {
        logger.warn("an artifact update listener threw:", err instanceof Error ? err.message : err);
      }
    }
    for (const w of waiters.splice(0)) w.resolve(record);
  }

  function recordDownload(download: { execution: number } | undefined, parsing?: number): void {
    if (!download || !opts.recordTelemetry) return;
    const entry = artifactTelemetryEntry({ execution: download.execution, parsing, timestamp: scheduler.now() });
    try {
      opts.recordTelemetry(entry);
    } catch (err) {
      logger.warn("recordTelemetry threw:", err instanceof Error ? err.message : err);
    }
  }

  function aborted(): DecisioningError {
    return new DecisioningError("ODE_ERR_ABORTED", "The artifact manager was closed");
  }

  /**
   * One load from the source. Failures are thrown (the poller reports them once the retry is
   * armed); a new artifact is swapped in here and its notifications are returned as a thunk that
   * the poller runs after arming the next poll.
   */
  async function loadOnce(signal: AbortSignal): Promise<(() => void) | void> {
    const result: InternalLoadResult = await source.load(
      validator === undefined ? { signal } : { signal, etag: validator },
    );
    if (closed) throw aborted();
    if (result.status === "unchanged") {
      recordDownload(result.download);
      if (!current) {
        throw new DecisioningError(
          "ODE_ERR_ARTIFACT_UNAVAILABLE",
          "The source reported 'unchanged' but no artifact is loaded",
          { recoverable: true },
        );
      }
      // Confirmed current: same artifact, fresh retrievedAt; no artifactUpdated, no compile.
      current = Object.freeze({ ...current, retrievedAt: scheduler.now(), source: source.kind });
      return;
    }
    const t0 = perfNow();
    let decoded: { artifact: Artifact; text?: string };
    try {
      decoded = decodeArtifactBody(result.body, result.format ?? format, decodeOpts);
    } catch (e) {
      recordDownload(result.download);
      throw e;
    }
    recordDownload(result.download, perfNow() - t0);
    const compiled = compileArtifact(opts.compile, decoded.artifact);
    if (closed) throw aborted();
    const publicEtag = result.privateEtag ? undefined : result.etag;
    const record = adopt(decoded.artifact, compiled, {
      source: source.kind,
      etag: publicEtag,
      retrievedAt: scheduler.now(),
    });
    validator = result.etag;
    if (cache) {
      const text = decoded.text ?? JSON.stringify(decoded.artifact);
      const written = cache.write({
        text,
        retrievedAt: record.retrievedAt,
        ...(publicEtag !== undefined ? { etag: publicEtag } : {}),
      });
      if (opts.awaitCacheWrites) await written; // never rejects
    }
    return () => {
      if (closed) return;
      if (logger.debugEnabled)
        logger.debug(`artifact ${record.version} loaded from ${location} (${record.source})`);
      emit("artifactDownloadSucceeded", { artifactLocation: location, artifactPayload: decoded.artifact });
      if (result.geo) emit("geoLocationUpdated", { geoContext: result.geo });
      announce(record);
    };
  }

  async function loadFromCache(c: ArtifactCache): Promise<void> {
    const entry = await c.read();
    if (!entry || closed || current) return;
    try {
      const artifact = parseArtifactText(entry.text);
      const compiled = compileArtifact(opts.compile, artifact);
      const record = adopt(artifact, compiled, {
        source: "cache",
        etag: entry.etag,
        retrievedAt: entry.retrievedAt,
      });
      validator = entry.etag;
      logger.info(
        `serving the cached artifact ${record.version} from ${new Date(record.retrievedAt).toISOString()} while loading ${location}`,
      );
      announce(record);
      checkStale(scheduler.now());
    } catch (e) {
      const code: ErrorCode | undefined = DecisioningError.is(e) ? e.code : undefined;
      logger.warn(`cached artifact ignored (${code ?? "error"}):`, e instanceof Error ? e.message : e);
    }
  }

  function checkStale(now: number): boolean {
    if (!current || maxAge === undefined) return false;
    const ageMs = now - current.retrievedAt;
    if (ageMs <= maxAge) return false;
    if (staleReported !== current) {
      staleReported = current;
      logger.warn(`the artifact is stale: retrieved ${ageMs} ms ago (maximumArtifactAge ${maxAge} ms)`);
      emit("artifactStale", { ageMs, maximumArtifactAge: maxAge });
    }
    return true;
  }

  function onWatchEvent(): void {
    if (closed) return;
    debounce?.cancel();
    debounce = scheduler.setTimeout(() => {
      debounce = undefined;
      if (closed) return;
      // A load already in flight may have read the file before this change: load once more after it.
      const again = () => (closed ? undefined : poller.refresh().catch(() => {}));
      if (poller.busy) void poller.refresh().then(again, again);
      else void again();
    }, WATCH_DEBOUNCE_MS);
  }

  const manager: ArtifactManager<T> = {
    location,
    pollingInterval,
    start() {
      if (started || closed) return;
      started = true;
      let bootstrapped = false;
      const payload = opts.artifactPayload;
      if (typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
        try {
          const artifact = validateArtifact(payload);
          const record = adopt(artifact, compileArtifact(opts.compile, artifact), {
            source: "payload",
            retrievedAt: scheduler.now(),
          });
          announce(record);
          bootstrapped = true;
        } catch (e) {
          report(e);
        }
      } else if (payload !== undefined && payload !== null) {
        logger.warn("artifactPayload ignored: it is not an object");
      }
      if (opts.watchFile) {
        if (source.watch) stopWatch = source.watch(onWatchEvent);
        else logger.warn("watchFile ignored: the artifact source cannot be watched");
      }
      if (bootstrapped) poller.start({ loaded: true });
      else if (cache) {
        startup = loadFromCache(cache).finally(() => {
          startup = undefined;
          poller.start({ loaded: false });
        });
      } else poller.start({ loaded: false });
    },
    current: () => current,
    isReady: () => current !== undefined,
    whenReady() {
      if (current) return Promise.resolve(current);
      if (closed) return Promise.reject(closedError());
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    isFresh(now = scheduler.now()) {
      if (!current) return false;
      return !checkStale(now);
    },
    async refresh() {
      if (closed) throw closedError();
      if (startup) await startup;
      return poller.refresh();
    },
    onUpdate(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      if (closing) return closing;
      closed = true;
      debounce?.cancel();
      stopWatch?.();
      for (const w of waiters.splice(0)) w.reject(closedError());
      closing = (async () => {
        await poller.close();
        await startup?.catch(() => {});
        await cache?.flush();
      })();
      return closing;
    },
  };
  return manager;
}
