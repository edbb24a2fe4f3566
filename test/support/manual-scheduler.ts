import type { Scheduler, TimerHandle } from "../../src/platform/scheduler";

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
