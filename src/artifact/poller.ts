/**
 * The polling loop shared by every source: one timer, never two loads at once, exponential
 * backoff after failures, `Retry-After` honoured, abortable.
 *
 * Schedule:
 * - until a first load succeeds ("initial" phase) a failed load is retried after the backoff
 *   delay, whatever the polling interval (also with polling off), until success or close()
 *   (unless `retryUntilLoaded` is false: then only refresh() loads again);
 * - after a success the next load comes `intervalMs` after the previous one *finished* (0 = no
 *   more loads, except refresh());
 * - after a failure once loaded: the backoff delay, but never later than `intervalMs` (backoff must
 *   not make a healthy poller slower than configured); nothing when polling is off;
 * - a non-recoverable failure (401/403, an artifact that fails validation) waits the backoff's
 *   maximum: retrying a deterministic failure quickly only burns bandwidth;
 * - `Retry-After` (error.details.retryAfterMs) can lengthen the delay, up to
 *   max(backoff maxDelay, intervalMs), so a server cannot silence the poller indefinitely.
 */
import { DecisioningError } from "../errors";
import type { Scheduler, TimerHandle } from "../platform/scheduler";
import type { Backoff } from "../primitives/backoff";

export interface PollerOptions {
  scheduler: Scheduler;
  /** Regular polling period in ms; 0 disables regular polling. */
  intervalMs: number;
  backoff: Backoff;
  /**
   * One load; resolves on success (updated or unchanged), rejects with the failure. It may resolve
   * to a function: it is called once the next poll is armed, so the notifications it sends observe a
   * settled state (the same holds for onFailure).
   */
  run(signal: AbortSignal): Promise<(() => void) | void>;
  /** Called after a failed load once the retry is armed (`retryInMs` undefined: no retry). */
  onFailure?(err: unknown, retryInMs: number | undefined): void;
  /** Called when a timer fires, before the load (freshness checks). */
  onTick?(): void;
  /** Retry a failed first load on a timer (default true); false: only refresh() loads again. */
  retryUntilLoaded?: boolean;
}

export interface Poller {
  /**
   * `loaded: false` → load now and retry until a success; `loaded: true` (e.g. bootstrapped from a
   * payload) → first load after `intervalMs`, none when polling is off.
   */
  start(opts: { loaded: boolean }): void;
  /** Loads now. While a load is in flight, returns that one. Rejects with the load's error. */
  refresh(): Promise<void>;
  /** Cancels the timer and aborts the in-flight load; resolves once it settled. Idempotent. */
  close(): Promise<void>;
  readonly loaded: boolean;
  readonly closed: boolean;
  /** true while a load is in flight. */
  readonly busy: boolean;
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // notification hooks must not break the loop; the manager guards user callbacks itself
  }
}

function retryAfterOf(err: unknown): number | undefined {
  if (!DecisioningError.is(err)) return undefined;
  const v = err.details?.retryAfterMs;
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export function createPoller(opts: PollerOptions): Poller {
  const { scheduler, backoff } = opts;
  const intervalMs = opts.intervalMs;
  let timer: TimerHandle | undefined;
  let inflight: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let loaded = false;
  let started = false;
  let closed = false;

  function cancelTimer(): void {
    timer?.cancel();
    timer = undefined;
  }

  function schedule(delay: number): void {
    cancelTimer();
    if (closed) return;
    timer = scheduler.setTimeout(() => {
      timer = undefined;
      if (closed) return;
      guard(() => opts.onTick?.());
      runNow().catch(() => {});
    }, delay);
  }

  function failureDelay(err: unknown): number {
    const recoverable = DecisioningError.is(err) ? err.recoverable : true;
    const maxDelay = backoff.policy.maxDelay;
    let delay = recoverable ? backoff.next() : Math.max(backoff.next(), maxDelay);
    if (loaded && intervalMs > 0) delay = Math.min(delay, intervalMs);
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== undefined)
      delay = Math.max(delay, Math.min(retryAfter, Math.max(maxDelay, intervalMs)));
    return delay;
  }

  function onSuccess(): void {
    loaded = true;
    backoff.reset();
    if (intervalMs > 0) schedule(intervalMs);
  }

  function onFailure(err: unknown): number | undefined {
    if (closed) return undefined;
    if (loaded && intervalMs === 0) return undefined;
    if (!loaded && opts.retryUntilLoaded === false) return undefined;
    const delay = failureDelay(err);
    schedule(delay);
    return delay;
  }

  function runNow(): Promise<void> {
    if (closed)
      return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The artifact manager is closed"));
    if (inflight) return inflight;
    cancelTimer();
    const ctl = new AbortController();
    controller = ctl;
    const p = (async () => {
      let after: (() => void) | void;
      try {
        after = await opts.run(ctl.signal);
      } catch (err) {
        inflight = undefined;
        controller = undefined;
        const retryInMs = onFailure(err);
        guard(() => opts.onFailure?.(err, retryInMs));
        throw err;
      }
      inflight = undefined;
      controller = undefined;
      if (!closed) onSuccess();
      if (typeof after === "function") guard(after);
    })();
    inflight = p;
    p.catch(() => {});
    return p;
  }

  return {
    start({ loaded: alreadyLoaded }) {
      if (started || closed) return;
      started = true;
      if (alreadyLoaded) {
        loaded = true;
        if (intervalMs > 0 && !inflight && !timer) schedule(intervalMs);
      } else if (!loaded && !inflight) {
        runNow().catch(() => {});
      }
    },
    refresh() {
      return runNow();
    },
    async close() {
      if (closed) {
        await inflight?.catch(() => {});
        return;
      }
      closed = true;
      cancelTimer();
      controller?.abort(new DecisioningError("ODE_ERR_ABORTED", "The artifact manager was closed"));
      await inflight?.catch(() => {});
    },
    get loaded() {
      return loaded;
    },
    get closed() {
      return closed;
    },
    get busy() {
      return inflight !== undefined;
    },
  };
}
