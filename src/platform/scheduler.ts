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
  /**
   * Keeps the process alive until the returned function is called (a caller awaits work that only
   * unref'd timers would otherwise drive, e.g. close() waiting for a notification's retry). Optional:
   * schedulers without a process to hold leave it out.
   */
  hold?(): () => void;
}

/** A timer of the global timer functions (a class: one cancel method for all timers, no closure per timer). */
class GlobalTimer implements TimerHandle {
  constructor(private readonly handle: ReturnType<typeof setTimeout>) {}

  cancel(): void {
    globalThis.clearTimeout(this.handle);
  }
}

/** The default scheduler: global Date (read at call time, so tests may replace it), unref'd timers. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = globalThis.setTimeout(fn, ms);
    const unref = (t as unknown as { unref?: () => void }).unref;
    if (typeof t === "object" && t && typeof unref === "function") unref.call(t);
    return new GlobalTimer(t);
  },
  random: () => Math.random(),
  hold() {
    const keepAlive = globalThis.setInterval(() => undefined, 1 << 30);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      globalThis.clearInterval(keepAlive);
    };
  },
};
