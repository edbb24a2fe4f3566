import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { ManualScheduler } from "../../src/platform/scheduler";
import { computeBackoff, isRetryableStatus, parseRetryAfter, sleep } from "../../src/primitives/retry";

describe("computeBackoff", () => {
  it("grows exponentially from the initial delay up to the cap without jitter", () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((a) => computeBackoff(a, { jitter: false }));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(computeBackoff(2, { initialDelay: 10, multiplier: 3, maxDelay: 1000, jitter: false })).toBe(90);
  });

  it("jitters downwards by at most the jitter share, using the injected random", () => {
    expect(computeBackoff(1, {}, () => 0)).toBe(200);
    expect(computeBackoff(1, {}, () => 0.999999)).toBe(100);
    expect(computeBackoff(1, { jitter: 0.25 }, () => 1)).toBe(150);
    expect(computeBackoff(1, { jitter: true }, () => 0.5)).toBe(150);
    for (let i = 0; i < 200; i++) {
      const d = computeBackoff(3, { jitter: 0.5 });
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it("falls back to defaults on nonsense options and attempts", () => {
    expect(computeBackoff(-3, { initialDelay: -1, maxDelay: NaN, multiplier: 0, jitter: false })).toBe(100);
    expect(computeBackoff(Number.NaN, { jitter: false })).toBe(100);
    expect(computeBackoff(1e9, { jitter: false })).toBe(2000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-01-01T00:00:00Z");

  it("reads delta seconds as milliseconds", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Sun, 31 Dec 2023 23:00:00 GMT", now)).toBe(0);
  });

  it("returns undefined for missing or unparsable values", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("1.5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("isRetryableStatus", () => {
  it("is true exactly for 429, 500, 502, 503, 504", () => {
    const all = Array.from({ length: 500 }, (_, i) => i + 100).filter(isRetryableStatus);
    expect(all).toEqual([429, 500, 502, 503, 504]);
  });
});

describe("sleep", () => {
  it("resolves after the delay on the scheduler", async () => {
    const s = new ManualScheduler(0);
    let done = false;
    void sleep(s, 100).then(() => (done = true));
    await s.advance(99);
    expect(done).toBe(false);
    await s.advance(1);
    expect(done).toBe(true);
  });

  it("rejects with the abort reason and cancels its timer", async () => {
    const s = new ManualScheduler(0);
    const controller = new AbortController();
    const p = sleep(s, 100, controller.signal);
    expect(s.pending).toBe(1);
    const reason = new DecisioningError("ODE_ERR_TIMEOUT", "t");
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(s.pending).toBe(0);
  });

  it("rejects at once with ODE_ERR_ABORTED for an already aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(new ManualScheduler(0), 5, controller.signal)).rejects.toMatchObject({ code: "ODE_ERR_ABORTED" });
  });
});
