/**
 * Time as a port. Production code reads time and arms timers only through a Scheduler, so unit tests
 * drive time with a manual scheduler (test/support/manual-scheduler.ts) instead of real sleeps.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds since the epoch. The default reads the global `Date` at call time. */
  now(): number;
  /** Arms a one-shot timer. The default timer is unref'd so it never keeps a process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Uniform random in [0, 1) used for jitter. */
  random(): number;
}

/** The default scheduler: global Date (read at call time, so tests may replace it), unref'd timers. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    if (typeof t === "object" && t && typeof t.unref === "function") t.unref();
    return { cancel: () => globalThis.clearTimeout(t as unknown as ReturnType<typeof setTimeout>) };
  },
  random: () => Math.random(),
};
