import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../../src/errors";
import { resolveBackoff } from "../../../src/primitives/backoff";
import {
  decideRetry,
  givenUpError,
  isFinalError,
  type RetryPolicy,
} from "../../../src/remote/notification-queue/retry-policy";

const backoff = resolveBackoff(
  { initialDelay: 100, maxDelay: 2000, multiplier: 2, jitter: 0.5 },
  {
    initialDelay: 0,
    maxDelay: 0,
    multiplier: 1,
    jitter: 0,
  },
);
const policy = (extra: Partial<RetryPolicy> = {}): RetryPolicy => ({
  retries: 3,
  retryUntilDelivered: false,
  backoff,
  ...extra,
});
const badRequest = new DecisioningError("ODE_ERR_HTTP_STATUS", "400", { status: 400, recoverable: false });
const unavailable = new DecisioningError("ODE_ERR_HTTP_STATUS", "503", { status: 503, recoverable: true });

describe("notification retry policy", () => {
  it("gives up at once on a final error, even when retrying until delivered", () => {
    expect(isFinalError(badRequest)).toBe(true);
    expect(decideRetry(policy(), 0, badRequest, () => 0)).toEqual({ retry: false });
    expect(decideRetry(policy({ retryUntilDelivered: true }), 0, badRequest, () => 0)).toEqual({
      retry: false,
    });
  });

  it("retries a recoverable error (and any other thrown value) `retries` times, then gives up", () => {
    expect(isFinalError(new Error("network"))).toBe(false);
    for (const err of [unavailable, new Error("network"), "text"]) {
      expect([0, 1, 2, 3].map((attempt) => decideRetry(policy(), attempt, err, () => 0).retry)).toEqual([
        true,
        true,
        true,
        false,
      ]);
    }
    expect(decideRetry(policy({ retries: 0 }), 0, unavailable, () => 0)).toEqual({ retry: false });
  });

  it("keeps retrying a recoverable error when retrying until delivered", () => {
    const decision = decideRetry(
      policy({ retries: 0, retryUntilDelivered: true }),
      1000,
      unavailable,
      () => 0,
    );
    expect(decision).toEqual({ retry: true, delay: 2000 });
  });

  it("takes its delays from the backoff: growing, capped, jittered within (50 %, 100 %]", () => {
    const delays = (random: number) =>
      [0, 1, 2, 3, 4, 5].map((attempt) => {
        const d = decideRetry(policy({ retryUntilDelivered: true }), attempt, unavailable, () => random);
        return d.retry ? d.delay : -1;
      });
    expect(delays(0)).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect(delays(1)).toEqual([50, 100, 200, 400, 800, 1000]);
    for (const [i, d] of delays(0.37).entries()) {
      const full = Math.min(2000, 100 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(full / 2);
      expect(d).toBeLessThanOrEqual(full);
    }
  });

  it("reports a batch given up on with its cause, status, attempts and recoverability", () => {
    const final = givenUpError(badRequest, 1, 4);
    expect(final).toMatchObject({
      code: "ODE_ERR_NOTIFICATION_FAILED",
      status: 400,
      recoverable: false,
      cause: badRequest,
      details: { attempts: 1, notifications: 4 },
    });
    expect(final.message).toBe("Sending 4 notification(s) failed after 1 attempt(s): 400");
    expect(givenUpError(new Error("boom"), 4, 1)).toMatchObject({ recoverable: true, status: undefined });
    expect(givenUpError("text", 2, 1).message).toContain(": text");
  });
});
