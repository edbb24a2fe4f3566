/**
 * The one backoff policy: capped exponential growth with subtractive jitter.
 *
 *   delay(n) = min(maxDelay, initialDelay × multiplier^n) × (1 − jitter × random())     (n = 0, 1, …)
 *
 * With jitter 0.5 each delay lies in (50 %, 100 %] of the exponential value: the cap is never
 * exceeded and a fleet of clients does not retry in lock-step. Each user names its own defaults
 * (the Delivery API retries start at 100 ms, the artifact poller at 1 s).
 */
import { numberOption } from "./options";

export interface BackoffOptions {
  /** Delay before the first retry, in ms (>= 0). */
  initialDelay?: number;
  /** Upper bound of any single delay, in ms; raised to initialDelay when lower. */
  maxDelay?: number;
  /** Growth factor between attempts (>= 1). */
  multiplier?: number;
  /** Share of each delay removed at random, in [0, 1]; `true` = 0.5, `false` = 0. */
  jitter?: boolean | number;
}

/** Backoff options with every value resolved. */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
  readonly jitter: number;
}

const DEFAULT_JITTER = 0.5;

/** Resolves options against `defaults`: a missing or out-of-range value takes the default. */
export function resolveBackoff(options: BackoffOptions | undefined, defaults: BackoffPolicy): BackoffPolicy {
  const o = options ?? {};
  const initialDelay = numberOption(o.initialDelay, defaults.initialDelay, { min: 0 });
  const maxDelay = numberOption(o.maxDelay, defaults.maxDelay, { min: 0 });
  const jitter = typeof o.jitter === "boolean" ? (o.jitter ? DEFAULT_JITTER : 0) : o.jitter;
  return Object.freeze({
    initialDelay,
    maxDelay: Math.max(initialDelay, maxDelay),
    multiplier: numberOption(o.multiplier, defaults.multiplier, { min: 1 }),
    jitter: numberOption(jitter, defaults.jitter, { min: 0, max: 1 }),
  });
}

/** The delay in ms before retry number `attempt` (0 = the first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const n = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  const base = Math.min(policy.maxDelay, policy.initialDelay * Math.pow(policy.multiplier, n));
  if (policy.jitter === 0) return Math.round(base);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
  return Math.round(base * (1 - policy.jitter * unit));
}

/** A backoff that counts failures itself: `next()` after each failure, `reset()` after a success. */
export interface Backoff {
  next(): number;
  reset(): void;
  /** Failures counted since the last reset. */
  readonly failures: number;
  readonly policy: BackoffPolicy;
}

export function createBackoff(policy: BackoffPolicy, random: () => number): Backoff {
  let failures = 0;
  return {
    next: () => backoffDelay(policy, failures++, random),
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
    policy,
  };
}
