/**
 * When an HTTP failure is worth retrying, and when the server asked to wait: the retryable status
 * set and `Retry-After` parsing. The delay policy itself is ./backoff; the wait is ./abort `sleep`.
 */

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
