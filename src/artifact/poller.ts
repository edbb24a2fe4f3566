/**
 * The polling loop shared by every source: one timer, never two loads at once, exponential
 * backoff after failures, `Retry-After` honoured, abortable.
 *
 * Schedule:
 * - until a first load succeeds ("initial" phase) a failed load is retried after the backoff
 *   delay, whatever the polling interval (also with polling off), until success or close();
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
import { numberOption } from "../primitives/options";

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
  return numberOption(err.details?.retryAfterMs, undefined, { min: 0 });
}

/**
 * The delay before the next load after a failure: the backoff's next delay (its maximum for a
 * failure that will not heal by itself), capped at the interval once an artifact is loaded, and
 * at least the server's Retry-After (itself capped at max(backoff maxDelay, interval)).
 */
export function failureDelay(err: unknown, backoff: Backoff, loaded: boolean, intervalMs: number): number {
  const recoverable = DecisioningError.is(err) ? err.recoverable : true;
  const maxDelay = backoff.policy.maxDelay;
  let delay = recoverable ? backoff.next() : Math.max(backoff.next(), maxDelay);
  if (loaded && intervalMs > 0) delay = Math.min(delay, intervalMs);
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) delay = Math.max(delay, Math.min(retryAfter, Math.max(maxDelay, intervalMs)));
  return delay;
}

/** The poller's state: one timer, at most one load in flight (with its abort controller). */
class PollingLoop implements Poller {
  #timer: TimerHandle | undefined;
  #inflight: Promise<void> | undefined;
  #controller: AbortController | undefined;
  #loaded = false;
  #started = false;
  #closed = false;

  constructor(private readonly opts: PollerOptions) {}

  get loaded(): boolean {
    return this.#loaded;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get busy(): boolean {
    return this.#inflight !== undefined;
  }

  start({ loaded: alreadyLoaded }: { loaded: boolean }): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    if (alreadyLoaded) {
      this.#loaded = true;
      if (this.opts.intervalMs > 0 && !this.#inflight && !this.#timer) this.#schedule(this.opts.intervalMs);
    } else if (!this.#loaded && !this.#inflight) {
      this.refresh().catch(() => {});
    }
  }

  refresh(): Promise<void> {
    if (this.#closed) return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The artifact manager is closed"));
    if (this.#inflight) return this.#inflight;
    this.#cancelTimer();
    const controller = new AbortController();
    this.#controller = controller;
    const p = this.#load(controller.signal);
    this.#inflight = p;
    p.catch(() => {});
    return p;
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#cancelTimer();
      this.#controller?.abort(new DecisioningError("ODE_ERR_ABORTED", "The artifact manager was closed"));
    }
    await this.#inflight?.catch(() => {});
  }

  async #load(signal: AbortSignal): Promise<void> {
    let after: (() => void) | void;
    try {
      after = await this.opts.run(signal);
    } catch (err) {
      this.#inflight = undefined;
      this.#controller = undefined;
      const retryInMs = this.#onFailure(err);
      guard(() => this.opts.onFailure?.(err, retryInMs));
      throw err;
    }
    this.#inflight = undefined;
    this.#controller = undefined;
    if (!this.#closed) this.#onSuccess();
    if (typeof after === "function") guard(after);
  }

  #onSuccess(): void {
    this.#loaded = true;
    this.opts.backoff.reset();
    if (this.opts.intervalMs > 0) this.#schedule(this.opts.intervalMs);
  }

  /** Arms the retry after a failure; returns its delay (undefined: no retry). */
  #onFailure(err: unknown): number | undefined {
    const { intervalMs } = this.opts;
    if (this.#closed || (this.#loaded && intervalMs === 0)) return undefined;
    if (!this.#loaded && this.opts.retryUntilLoaded === false) return undefined;
    const delay = failureDelay(err, this.opts.backoff, this.#loaded, intervalMs);
    this.#schedule(delay);
    return delay;
  }

  #schedule(delay: number): void {
    this.#cancelTimer();
    if (this.#closed) return;
    this.#timer = this.opts.scheduler.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      guard(() => this.opts.onTick?.());
      this.refresh().catch(() => {});
    }, delay);
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

export function createPoller(opts: PollerOptions): Poller {
  return new PollingLoop(opts);
}
