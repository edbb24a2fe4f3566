/**
 * Retry policy helpers shared by the Delivery API client and the notification queue: capped
 * exponential backoff with jitter, `Retry-After` parsing, the retryable status set, and an abortable
 * sleep on the Scheduler port (no global timers).
 */
import { DecisioningError } from "../errors";
import type { Scheduler } from "../platform/scheduler";

export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 100. */
  initialDelay?: number;
  /** Upper bound of any single delay, in ms. Default 2000. */
  maxDelay?: number;
  /** Growth factor between attempts. Default 2. */
  multiplier?: number;
  /**
   * Share of the delay that is randomised: the delay becomes `d * (1 - jitter * random())`, so it
   * lies in `[d * (1 - jitter), d]`. `true` = 0.5, `false` or 0 = no jitter. Default 0.5.
   */
  jitter?: boolean | number;
}

export const DEFAULT_BACKOFF: Required<Omit<BackoffOptions, "jitter">> & { jitter: number } = {
  initialDelay: 100,
  maxDelay: 2000,
  multiplier: 2,
  jitter: 0.5,
};

function finiteOr(value: number | undefined, fallback: number, min = 0): number {
  return typeof value === "number" && Number.isFinite(value) && value >= min ? value : fallback;
}

function jitterShare(jitter: boolean | number | undefined): number {
  if (jitter === undefined || jitter === true) return DEFAULT_BACKOFF.jitter;
  if (jitter === false) return 0;
  return Number.isFinite(jitter) ? Math.min(1, Math.max(0, jitter)) : DEFAULT_BACKOFF.jitter;
}

/**
 * Delay in ms before retry number `attempt` (0 = the first retry):
 * `min(maxDelay, initialDelay * multiplier^attempt)`, then jittered downwards.
 */
export function computeBackoff(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = finiteOr(options.initialDelay, DEFAULT_BACKOFF.initialDelay);
  const max = finiteOr(options.maxDelay, DEFAULT_BACKOFF.maxDelay);
  const multiplier = finiteOr(options.multiplier, DEFAULT_BACKOFF.multiplier, 1);
  const n = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  const base = Math.min(max, initial * Math.pow(multiplier, n));
  const share = jitterShare(options.jitter);
  if (share === 0) return Math.round(base);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
  return Math.round(base * (1 - share * unit));
}

const DELTA_SECONDS = /^\s*(\d{1,10})\s*$/;

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into a delay in **milliseconds**
 * relative to `now` (epoch ms). A date in the past gives 0. Missing or unparsable → undefined.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (typeof header !== "string" || header.length === 0 || header.length > 100) return undefined;
  const seconds = DELTA_SECONDS.exec(header);
  if (seconds) return Number(seconds[1]) * 1000;
  // An HTTP date always names a weekday or month; refuse bare numbers Date.parse would accept.
  if (!/[a-z]/i.test(header)) return undefined;
  const at = Date.parse(header);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - now);
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** 429 and the transient 5xx statuses (500, 502, 503, 504). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

/** The reason an aborted signal carries, as a DecisioningError (ODE_ERR_ABORTED unless it already is one). */
export function abortReason(signal: AbortSignal): DecisioningError {
  const reason: unknown = signal.reason;
  if (DecisioningError.is(reason)) return reason;
  return new DecisioningError("ODE_ERR_ABORTED", "The operation was aborted", { cause: reason });
}

/**
 * Waits `ms` on the scheduler. Rejects with {@link abortReason} as soon as `signal` aborts (or
 * immediately when it already is); the timer is cancelled on abort.
 */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal!));
    };
    const timer = scheduler.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
