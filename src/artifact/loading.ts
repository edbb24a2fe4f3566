/**
 * How an artifact gets in: from the source (on every poll), from the warm-start cache, or from the
 * `artifactPayload` option. Each candidate is decoded, validated and compiled before it may
 * replace the artifact in use; a failure leaves the current artifact untouched.
 */
import { DecisioningError, type ErrorCode } from "../errors";
import { artifactTelemetryEntry } from "../protocol/telemetry";
import type { ArtifactState } from "./artifact-state";
import type { ArtifactCache } from "./cache";
import { decodeArtifactBody, runCompiler } from "./decode";
import type { ManagerSettings } from "./manager-settings";
import { parseArtifactText, validateArtifact } from "./parse";
import type { Artifact } from "./schema";
import type { InternalLoadResult } from "./source";
import type { ArtifactManagerOptions, LoadedArtifact } from "./types";

/** What loading needs from the manager: its options, settings, state and event channel. */
export interface LoadingContext<T> {
  opts: ArtifactManagerOptions<T>;
  settings: ManagerSettings;
  state: ArtifactState<T>;
  closed(): boolean;
  /** Emits a manager event (guarded: a throwing handler is logged). */
  emit(type: string, payload: Record<string, unknown>): void;
  /** Announces a new artifact: artifactUpdated, then update listeners and waiters. */
  announce(record: LoadedArtifact<T>): void;
  /** Checks the age limit now (emits artifactStale once per artifact). */
  checkStale(): void;
}

function aborted(): DecisioningError {
  return new DecisioningError("ODE_ERR_ABORTED", "The artifact manager was closed");
}

function recordDownload<T>(ctx: LoadingContext<T>, download: { execution: number } | undefined, parsing?: number) {
  const record = ctx.opts.recordTelemetry;
  if (!download || !record) return;
  const entry = artifactTelemetryEntry({ execution: download.execution, parsing, timestamp: ctx.opts.scheduler.now() });
  try {
    record(entry);
  } catch (err) {
    ctx.opts.logger.warn("recordTelemetry threw:", err instanceof Error ? err.message : err);
  }
}

/** Decodes a loaded body (telemetry records the decode time as `parsing`). */
function decodeLoaded<T>(ctx: LoadingContext<T>, result: InternalLoadResult & { status: "updated" }) {
  const t0 = ctx.settings.perfNow();
  try {
    const decoded = decodeArtifactBody(result.body, result.format ?? ctx.settings.format, ctx.settings.decode);
    recordDownload(ctx, result.download, ctx.settings.perfNow() - t0);
    return decoded;
  } catch (e) {
    recordDownload(ctx, result.download);
    throw e;
  }
}

/** Queues the cache write; the returned promise (never rejected) settles once it is stored. */
function writeCache<T>(cache: ArtifactCache, decoded: { artifact: Artifact; text?: string }, record: LoadedArtifact<T>): Promise<void> {
  const text = decoded.text ?? JSON.stringify(decoded.artifact);
  return cache.write({ text, retrievedAt: record.retrievedAt, ...(record.etag !== undefined ? { etag: record.etag } : {}) });
}

/**
 * One load from the source. Failures are thrown (the poller reports them once the retry is
 * armed); a new artifact is swapped in here and its announcements are returned as a thunk that
 * the poller runs after arming the next poll.
 */
export async function loadFromSource<T>(ctx: LoadingContext<T>, signal: AbortSignal): Promise<(() => void) | void> {
  const { settings, state, opts } = ctx;
  const validator = state.validator;
  const result = await settings.source.load(validator === undefined ? { signal } : { signal, etag: validator });
  if (ctx.closed()) throw aborted();
  if (result.status === "unchanged") {
    recordDownload(ctx, result.download);
    if (!state.current) {
      throw new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", "The source reported 'unchanged' but no artifact is loaded", {
        recoverable: true,
      });
    }
    state.confirm(opts.scheduler.now(), settings.source.kind);
    return;
  }
  const decoded = decodeLoaded(ctx, result);
  const compiled = runCompiler(opts.compile, decoded.artifact);
  if (ctx.closed()) throw aborted();
  const etag = result.privateEtag ? undefined : result.etag;
  const record = state.adopt(decoded.artifact, compiled, { source: settings.source.kind, etag, retrievedAt: opts.scheduler.now() });
  state.validator = result.etag;
  if (settings.cache) {
    const written = writeCache(settings.cache, decoded, record);
    // Edge runtimes make the write part of the load, so it completes inside the request's waitUntil.
    if (opts.awaitCacheWrites) await written;
  }
  return () => {
    if (ctx.closed()) return;
    if (opts.logger.debugEnabled) opts.logger.debug(`artifact ${record.version} loaded from ${settings.location} (${record.source})`);
    ctx.emit("artifactDownloadSucceeded", { artifactLocation: settings.location, artifactPayload: decoded.artifact });
    if (result.geo) ctx.emit("geoLocationUpdated", { geoContext: result.geo });
    ctx.announce(record);
  };
}

/** Serves the cached artifact while the first load is under way (unless one arrived meanwhile). */
export async function loadFromCache<T>(ctx: LoadingContext<T>, cache: ArtifactCache): Promise<void> {
  const entry = await cache.read();
  const { state, opts } = ctx;
  if (!entry || ctx.closed() || state.current) return;
  try {
    const artifact = parseArtifactText(entry.text);
    const compiled = runCompiler(opts.compile, artifact);
    const record = state.adopt(artifact, compiled, { source: "cache", etag: entry.etag, retrievedAt: entry.retrievedAt });
    state.validator = entry.etag;
    opts.logger.info(
      `serving the cached artifact ${record.version} from ${new Date(record.retrievedAt).toISOString()} while loading ${ctx.settings.location}`,
    );
    ctx.announce(record);
    ctx.checkStale();
  } catch (e) {
    const code: ErrorCode | undefined = DecisioningError.is(e) ? e.code : undefined;
    opts.logger.warn(`cached artifact ignored (${code ?? "error"}):`, e instanceof Error ? e.message : e);
  }
}

/** Adopts the `artifactPayload` option; returns whether it was served. Its errors go to `report`. */
export function servePayload<T>(ctx: LoadingContext<T>, report: (e: unknown) => void): boolean {
  const payload = ctx.opts.artifactPayload;
  if (payload === undefined || payload === null) return false;
  if (typeof payload !== "object" || Array.isArray(payload)) {
    ctx.opts.logger.warn("artifactPayload ignored: it is not an object");
    return false;
  }
  try {
    const artifact = validateArtifact(payload);
    const compiled = runCompiler(ctx.opts.compile, artifact);
    ctx.announce(ctx.state.adopt(artifact, compiled, { source: "payload", retrievedAt: ctx.opts.scheduler.now() }));
    return true;
  } catch (e) {
    report(e);
    return false;
  }
}
