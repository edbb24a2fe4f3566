/** The flush timer: armed by the first item queued, it seals and sends what waits when it fires. */
import type { Scheduler, TimerHandle } from "../../platform/scheduler";

export class FlushTimer {
  readonly #scheduler: Scheduler;
  readonly #interval: number;
  readonly #onFire: () => void;
  #handle: TimerHandle | undefined;
  #stopped = false;

  constructor(scheduler: Scheduler, interval: number, onFire: () => void) {
    this.#scheduler = scheduler;
    this.#interval = interval;
    this.#onFire = onFire;
  }

  /** Arms the timer unless it is armed already or stopped. */
  arm(): void {
    if (this.#handle || this.#stopped) return;
    this.#handle = this.#scheduler.setTimeout(() => {
      this.#handle = undefined;
      this.#onFire();
    }, this.#interval);
  }

  cancel(): void {
    this.#handle?.cancel();
    this.#handle = undefined;
  }

  /** Cancels the timer and never arms it again (the queue is closed). */
  stop(): void {
    this.#stopped = true;
    this.cancel();
  }
}
