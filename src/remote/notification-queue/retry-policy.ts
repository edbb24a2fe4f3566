/**
 * What happens after a failed send: give the batch up, or retry it after a backoff delay. Pure: the
 * caller supplies the attempt number, the error and the random source of the jitter.
 *
 * A final error (a DecisioningError with `recoverable: false`, e.g. a 400) is never retried. A
 * recoverable one is retried `retries` times, or until delivered with `retryUntilDelivered` (the
 * queue's capacity bounds what an outage can hold); delay n follows the backoff policy.
 */
import { DecisioningError } from "../../errors";
import { backoffDelay, type BackoffPolicy } from "../../primitives/backoff";

export interface RetryPolicy {
  /** Retries after the first failed attempt (ignored with `retryUntilDelivered`). */
  retries: number;
  /** Recoverable failures retry until delivered. */
  retryUntilDelivered: boolean;
  backoff: BackoffPolicy;
}

export type RetryDecision = { retry: false } | { retry: true; delay: number };

const GIVE_UP: RetryDecision = Object.freeze({ retry: false });

/** Whether an error says that sending the same request again cannot succeed. */
export function isFinalError(err: unknown): boolean {
  return DecisioningError.is(err) && !err.recoverable;
}

/** The decision after attempt number `attempt` (0 = the first send) failed with `err`. */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  err: unknown,
  random: () => number,
): RetryDecision {
  if (isFinalError(err)) return GIVE_UP;
  if (!policy.retryUntilDelivered && attempt >= policy.retries) return GIVE_UP;
  return { retry: true, delay: backoffDelay(policy.backoff, attempt, random) };
}

/** The error reported for a batch of `notifications` given up on after `attempts` attempts. */
export function givenUpError(err: unknown, attempts: number, notifications: number): DecisioningError {
  return new DecisioningError(
    "ODE_ERR_NOTIFICATION_FAILED",
    `Sending ${notifications} notification(s) failed after ${attempts} attempt(s): ${err instanceof Error ? err.message : String(err)}`,
    {
      cause: err,
      status: DecisioningError.is(err) ? err.status : undefined,
      recoverable: !isFinalError(err),
      details: { attempts, notifications },
    },
  );
}
