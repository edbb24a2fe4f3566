/**
 * The artifact manager: obtains the rule artifact (payload, cache, file, HTTP or a custom source),
 * validates and compiles every candidate *before* it may replace the one in use, keeps polling,
 * and never loses the last good artifact. All I/O goes through injected ports.
 *
 * Its parts: ./manager-settings (options resolved once), ./artifact-state (the artifact in use,
 * waiters, listeners), ./loading (source, cache and payload loads), ./poller (when to load).
 */
import { DecisioningError } from "../errors";
import type { TimerHandle } from "../platform/scheduler";
import { createBackoff, resolveBackoff } from "../primitives/backoff";
import { ArtifactState } from "./artifact-state";
import { loadFromCache, loadFromSource, servePayload, type LoadingContext } from "./loading";
import { resolveManagerSettings } from "./manager-settings";
import { createPoller, type Poller } from "./poller";
import { ARTIFACT_POLL_BACKOFF, WATCH_DEBOUNCE_MS } from "./settings";
import type { ArtifactManager, ArtifactManagerOptions, LoadedArtifact } from "./types";

export type { ArtifactSource } from "./source";
export type { ArtifactCacheStorage } from "./cache";
export type { ArtifactManager, ArtifactManagerOptions, LoadedArtifact } from "./types";

function closedError(): DecisioningError {
  return new DecisioningError("ODE_ERR_CLOSED", "The artifact manager is closed");
}

function toError(e: unknown): DecisioningError {
  if (DecisioningError.is(e)) return e;
  return new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", e instanceof Error ? e.message : String(e), {
    cause: e,
    recoverable: true,
  });
}

/** The manager's lifecycle state: what is running and what close() must stop. */
interface Lifecycle {
  started: boolean;
  closed: boolean;
  closing: Promise<void> | undefined;
  /** The cache load that runs before the first poll. */
  startup: Promise<void> | undefined;
  stopWatch: (() => void) | undefined;
  debounce: TimerHandle | undefined;
}

/** The loading context plus `report`, which logs a failed load and emits artifactDownloadFailed. */
function createContext<T>(opts: ArtifactManagerOptions<T>, life: Lifecycle) {
  const { logger, scheduler } = opts;
  const settings = resolveManagerSettings(opts);
  const { location, maxAge } = settings;
  const state = new ArtifactState<T>(location, logger);
  const emit = (type: string, payload: Record<string, unknown>) => {
    try {
      opts.emit(type, payload);
    } catch (err) {
      logger.warn(`an ${type} event handler threw:`, err instanceof Error ? err.message : err);
    }
  };
  const checkStale = (now: number) =>
    state.checkStale(now, maxAge, (ageMs) => {
      logger.warn(`the artifact is stale: retrieved ${ageMs} ms ago (maximumArtifactAge ${maxAge} ms)`);
      emit("artifactStale", { ageMs, maximumArtifactAge: maxAge });
    });
  const ctx: LoadingContext<T> = {
    opts,
    settings,
    state,
    closed: () => life.closed,
    emit,
    announce(record: LoadedArtifact<T>) {
      const { version, etag, generatedAt, source, retrievedAt } = record;
      emit("artifactUpdated", { version, etag, generatedAt, source, location: record.location, retrievedAt });
      state.notify(record);
    },
    checkStale: () => void checkStale(scheduler.now()),
  };
  /** Logs and emits artifactDownloadFailed (never after close, never for aborts). */
  const report = (e: unknown, retryInMs?: number) => {
    const err = toError(e);
    if (life.closed || err.code === "ODE_ERR_ABORTED") return;
    const retry = retryInMs === undefined ? "" : `; retrying in ${retryInMs} ms`;
    if (err.recoverable) logger.warn(`artifact not loaded from ${location} (${err.code}): ${err.message}${retry}`);
    else logger.error(`artifact rejected from ${location} (${err.code}): ${err.message}${retry}`);
    emit("artifactDownloadFailed", { artifactLocation: location, error: err });
    checkStale(scheduler.now());
  };
  return { ctx, report, checkStale };
}

/** Debounces watch events into one reload (and one more if a load was already in flight). */
function onWatchEvent(life: Lifecycle, poller: Poller, opts: ArtifactManagerOptions<unknown>): void {
  if (life.closed) return;
  life.debounce?.cancel();
  life.debounce = opts.scheduler.setTimeout(() => {
    life.debounce = undefined;
    if (life.closed) return;
    // A load already in flight may have read the file before this change: load once more after it.
    const again = () => (life.closed ? undefined : poller.refresh().catch(() => {}));
    if (poller.busy) void poller.refresh().then(again, again);
    else void again();
  }, WATCH_DEBOUNCE_MS);
}

function start<T>(life: Lifecycle, ctx: LoadingContext<T>, poller: Poller, report: (e: unknown) => void): void {
  if (life.started || life.closed) return;
  life.started = true;
  const { opts, settings } = ctx;
  const bootstrapped = servePayload(ctx, report);
  if (opts.watchFile) {
    if (settings.source.watch) life.stopWatch = settings.source.watch(() => onWatchEvent(life, poller, opts));
    else opts.logger.warn("watchFile ignored: the artifact source cannot be watched");
  }
  const cache = settings.cache;
  if (bootstrapped || !cache) {
    poller.start({ loaded: bootstrapped });
    return;
  }
  life.startup = loadFromCache(ctx, cache).finally(() => {
    life.startup = undefined;
    poller.start({ loaded: false });
  });
}

function close<T>(life: Lifecycle, ctx: LoadingContext<T>, poller: Poller): Promise<void> {
  if (life.closing) return life.closing;
  life.closed = true;
  life.debounce?.cancel();
  life.stopWatch?.();
  ctx.state.rejectWaiters(closedError());
  life.closing = (async () => {
    await poller.close();
    await life.startup?.catch(() => {});
    await ctx.settings.cache?.flush();
  })();
  return life.closing;
}

export function createArtifactManager<T>(opts: ArtifactManagerOptions<T>): ArtifactManager<T> {
  const { scheduler } = opts;
  const life: Lifecycle = { started: false, closed: false, closing: undefined, startup: undefined, stopWatch: undefined, debounce: undefined };
  const { ctx, report, checkStale } = createContext(opts, life);
  const { state, settings } = ctx;
  const poller = createPoller({
    scheduler,
    intervalMs: settings.pollingInterval,
    backoff: createBackoff(resolveBackoff(opts.backoff, ARTIFACT_POLL_BACKOFF), () => scheduler.random()),
    run: (signal) => loadFromSource(ctx, signal),
    onFailure: (err, retryInMs) => void report(err, retryInMs),
    onTick: () => checkStale(scheduler.now()),
    retryUntilLoaded: opts.retryUntilLoaded ?? true,
  });
  return {
    location: settings.location,
    pollingInterval: settings.pollingInterval,
    start: () => start(life, ctx, poller, report),
    current: () => state.current,
    isReady: () => state.current !== undefined,
    whenReady: () => (state.current || !life.closed ? state.whenReady() : Promise.reject(closedError())),
    isFresh: (now = scheduler.now()) => state.current !== undefined && !checkStale(now),
    async refresh() {
      if (life.closed) throw closedError();
      if (life.startup) await life.startup;
      return poller.refresh();
    },
    onUpdate: (listener) => state.onUpdate(listener),
    close: () => close(life, ctx, poller),
  };
}
