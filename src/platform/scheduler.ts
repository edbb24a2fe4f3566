/**
 * Time as a port. Production code reads time and arms timers only through a Scheduler, so unit tests
 * drive time with a manual scheduler instead of real sleeps.
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

/** The default scheduler: global Date (read at call time, so tests may replace it), unref'd timers. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    if (typeof t === "object" && t && typeof t.unref === "function") t.unref();
    return { cancel: () => globalThis.clearTimeout(t as unknown as ReturnType<typeof setTimeout>) };
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

/**
 * A deterministic scheduler for tests: time only moves when `advance()` is called.
 */
export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #timers: { id: number; at: number; fn: () => void }[] = [];
  #random: () => number;

  constructor(start = 0, random: () => number = () => 0.5) {
    this.#now = start;
    this.#random = random;
  }

  now(): number {
    return this.#now;
  }

  random(): number {
    return this.#random();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.push({ id, at: this.#now + Math.max(0, ms), fn });
    return { cancel: () => (this.#timers = this.#timers.filter((t) => t.id !== id)) };
  }

  /** Delays of the pending timers, relative to now, in arming order. */
  pendingDelays(): number[] {
    return this.#timers.map((t) => t.at - this.#now);
  }

  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running due timers in order; awaits microtasks between timers. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t.id !== due.id);
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
