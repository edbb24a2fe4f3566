import { describe, expect, it } from "vitest";
import { backoffDelay, createBackoff, resolveBackoff, type BackoffPolicy } from "../../src/primitives/backoff";

const SHORT: BackoffPolicy = { initialDelay: 100, maxDelay: 2000, multiplier: 2, jitter: 0.5 };
const LONG: BackoffPolicy = { initialDelay: 1000, maxDelay: 60_000, multiplier: 2, jitter: 0.5 };

describe("backoffDelay", () => {
  it("grows exponentially from the initial delay up to the cap without jitter", () => {
    const policy = resolveBackoff({ jitter: false }, SHORT);
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy, a, Math.random))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    const steep = resolveBackoff({ initialDelay: 10, multiplier: 3, maxDelay: 1000, jitter: false }, SHORT);
    expect(backoffDelay(steep, 2, Math.random)).toBe(90);
  });

  it("jitters downwards by at most the jitter share, using the injected random", () => {
    expect(backoffDelay(SHORT, 1, () => 0)).toBe(200);
    expect(backoffDelay(SHORT, 1, () => 0.999999)).toBe(100);
    expect(backoffDelay(resolveBackoff({ jitter: 0.25 }, SHORT), 1, () => 1)).toBe(150);
    expect(backoffDelay(resolveBackoff({ jitter: true }, SHORT), 1, () => 0.5)).toBe(150);
    expect(backoffDelay(SHORT, 1, () => Number.NaN)).toBe(200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(SHORT, 3, Math.random);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it("treats nonsense attempts as the first retry, and huge ones as the cap", () => {
    const policy = resolveBackoff({ jitter: false }, SHORT);
    expect(backoffDelay(policy, -3, Math.random)).toBe(100);
    expect(backoffDelay(policy, Number.NaN, Math.random)).toBe(100);
    expect(backoffDelay(policy, 1e9, Math.random)).toBe(2000);
  });
});

describe("resolveBackoff", () => {
  it("falls back to the caller's defaults for out-of-range options", () => {
    expect(resolveBackoff({ initialDelay: -1, maxDelay: Number.NaN, multiplier: 0.5, jitter: 2 }, LONG)).toEqual(LONG);
    expect(resolveBackoff({ initialDelay: -1, maxDelay: Number.NaN, multiplier: 0, jitter: false }, SHORT)).toEqual({
      ...SHORT,
      jitter: 0,
    });
    expect(resolveBackoff(undefined, SHORT)).toEqual(SHORT);
  });

  it("raises a cap below the initial delay to the initial delay", () => {
    expect(resolveBackoff({ initialDelay: 5000, maxDelay: 10 }, LONG).maxDelay).toBe(5000);
  });
});

describe("createBackoff", () => {
  it("grows exponentially, is capped, and resets", () => {
    const b = createBackoff(resolveBackoff({ jitter: 0 }, LONG), () => 0.9);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 8000]);
    expect(b.failures).toBe(4);
    for (let i = 0; i < 10; i++) b.next();
    expect(b.next()).toBe(60_000);
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(1000);
  });

  it("removes up to `jitter` of each delay at random, never exceeding the cap", () => {
    const randoms = [0, 1, 0.5, 0.2];
    let i = 0;
    const b = createBackoff(
      resolveBackoff({ initialDelay: 100, maxDelay: 500, jitter: 0.5 }, LONG),
      () => randoms[i++ % randoms.length] as number,
    );
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 100, 300, 450, 500]);
  });
});
