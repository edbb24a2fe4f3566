/**
 * Defaults and normalisation of the artifact options. Invalid values are logged and replaced by
 * the default (never thrown): a typo in a tuning option must not take decisioning down.
 */
import type { SafeLogger } from "../logger";
import type { BackoffPolicy } from "../primitives/backoff";
import { numberOption, POSITIVE } from "../primitives/options";

export const DEFAULT_POLLING_INTERVAL = 300_000;
export const MINIMUM_POLLING_INTERVAL = 1_000;
export const DEFAULT_DOWNLOAD_TIMEOUT = 10_000;
export const DEFAULT_MAXIMUM_ARTIFACT_SIZE = 50 * 1024 * 1024;
export const WATCH_DEBOUNCE_MS = 100;
export const MAX_TIMER_MS = 2_147_483_647;
/** Waits after failed artifact loads: 1 s doubling to 60 s, up to half of each removed at random. */
export const ARTIFACT_POLL_BACKOFF: BackoffPolicy = Object.freeze({ initialDelay: 1000, maxDelay: 60_000, multiplier: 2, jitter: 0.5 });


/**
 * 0 → off; absent → 300000; values in (0, 1000) are raised to 1000 (the reference's 300000 floor
 * protects Adobe's CDN, but self-hosted artifact servers may want fast refreshes; 1 s keeps a
 * tight loop impossible); invalid values (negative, non-numbers) → 300000 with a warning.
 */
export function resolvePollingInterval(value: unknown, logger?: SafeLogger): number {
  if (value === Infinity) return MAX_TIMER_MS;
  const interval = numberOption(value, DEFAULT_POLLING_INTERVAL, { min: 0 }, () =>
    logger?.warn(`pollingInterval ${String(value)} is invalid; using ${DEFAULT_POLLING_INTERVAL}`),
  );
  if (interval === 0) return 0;
  return Math.min(MAX_TIMER_MS, Math.max(MINIMUM_POLLING_INTERVAL, interval));
}

/** A positive number (capped at `max`), else the fallback with a warning. */
export function positiveOr(
  value: unknown,
  fallback: number,
  name: string,
  logger: SafeLogger,
  max = MAX_TIMER_MS,
): number {
  if (value === Infinity) return max;
  return numberOption(value, fallback, { ...POSITIVE, max, clampMax: true }, () =>
    logger.warn(`${name} ${String(value)} is invalid; using ${fallback}`),
  );
}

/** maximumArtifactAge: a positive number of ms, or undefined (no age limit). */
export function resolveMaximumArtifactAge(value: unknown, logger: SafeLogger): number | undefined {
  if (value === null || value === Infinity) return undefined;
  return numberOption(value, undefined, POSITIVE, () =>
    logger.warn(`maximumArtifactAge ${String(value)} is invalid; no age limit applies`),
  );
}
