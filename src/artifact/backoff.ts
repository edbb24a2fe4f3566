/**
 * Exponential backoff with subtractive jitter, capped, reset on success.
 *
 * Delay n (0-based) = min(maxDelay, initialDelay × multiplier^n) × (1 − jitter × random()).
 * With the default jitter 0.5 each delay lies in (50 %, 100 %] of the exponential value, so the
 * cap is never exceeded and a fleet of clients does not retry in lock-step.
 */
export interface BackoffOptions {
  /** First delay in ms. Default 1000. */
  initialDelay?: number;
  /** Cap in ms. Default 60000. */
  maxDelay?: number;
  /** Growth factor per failed attempt. Default 2. */
  multiplier?: number;
  /** Fraction of each delay removed at random, in [0, 1]. Default 0.5. */
  jitter?: number;
}

export interface ResolvedBackoffOptions {
  initialDelay: number;
  maxDelay: number;
  multiplier: number;
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<ResolvedBackoffOptions> = Object.freeze({
  initialDelay: 1000,
  maxDelay: 60_000,
  multiplier: 2,
  jitter: 0.5,
});

export interface Backoff {
  /** The delay before the next attempt; each call counts one more failure. */
  next(): number;
  /** Called after a success: the next failure starts again at initialDelay. */
  reset(): void;
  /** Failures counted since the last reset. */
  readonly failures: number;
  readonly options: Readonly<ResolvedBackoffOptions>;
}

function pick(value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
    ? value
    : fallback;
}

/** Out-of-range values fall back to the defaults. */
export function resolveBackoffOptions(opts: BackoffOptions = {}): ResolvedBackoffOptions {
  const initialDelay = pick(opts.initialDelay, DEFAULT_BACKOFF.initialDelay, 1);
  const maxDelay = Math.max(initialDelay, pick(opts.maxDelay, DEFAULT_BACKOFF.maxDelay, 1));
  return {
    initialDelay,
    maxDelay,
    multiplier: pick(opts.multiplier, DEFAULT_BACKOFF.multiplier, 1),
    jitter: pick(opts.jitter, DEFAULT_BACKOFF.jitter, 0, 1),
  };
}

export function createBackoff(opts: BackoffOptions, random: () => number): Backoff {
  const options = Object.freeze(resolveBackoffOptions(opts));
  let failures = 0;
  return {
    next() {
      const exp = options.initialDelay * Math.pow(options.multiplier, failures);
      failures++;
      const base = Math.min(options.maxDelay, exp);
      const r = Math.min(1, Math.max(0, random()));
      return Math.max(0, Math.round(base * (1 - options.jitter * r)));
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
    options,
  };
}

