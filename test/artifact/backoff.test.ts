import { describe, expect, it } from "vitest";
import { createBackoff, resolveBackoffOptions } from "../../src/artifact/backoff";

describe("createBackoff", () => {
  it("grows exponentially, is capped, and resets", () => {
    const b = createBackoff({ jitter: 0 }, () => 0.9);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 8000]);
    for (let i = 0; i < 10; i++) b.next();
    expect(b.next()).toBe(60_000);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("removes up to `jitter` of each delay at random, never exceeding the cap", () => {
    const randoms = [0, 1, 0.5, 0.2];
    let i = 0;
    const b = createBackoff(
      { initialDelay: 100, maxDelay: 500, jitter: 0.5 },
      () => randoms[i++ % randoms.length] as number,
    );
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 100, 300, 450, 500]);
  });

  it("falls back to defaults for out-of-range options", () => {
    expect(
      resolveBackoffOptions({ initialDelay: -1, maxDelay: Number.NaN, multiplier: 0.5, jitter: 2 }),
    ).toEqual({
      initialDelay: 1000,
      maxDelay: 60_000,
      multiplier: 2,
      jitter: 0.5,
    });
    expect(resolveBackoffOptions({ initialDelay: 5000, maxDelay: 10 }).maxDelay).toBe(5000);
  });
});

