/**
 * Closing: close() refuses new items and flushes. With a deadline (given, or a grace period when
 * batches may otherwise wait for long: `retryUntilDelivered` or a spool), whatever is still unsent
 * when it passes (queued, waiting for a retry, or in flight) is abandoned: handed to the spool or
 * counted as lost.
 */
import type { SafeLogger } from "../../logger";
import type { Scheduler } from "../../platform/scheduler";
import type { NotificationBuffer } from "./buffer";
import type { Dispatcher } from "./dispatcher";
import type { FlushTimer } from "./flush-timer";
import { DEFAULT_CLOSE_GRACE } from "./settings";
import type { SpoolKeeper } from "./spool";
import type { QueueCloseOptions } from "./types";

export interface QueueCloserParts {
  scheduler: Scheduler;
  logger: SafeLogger;
  buffer: NotificationBuffer;
  dispatcher: Dispatcher;
  spool: SpoolKeeper;
  timer: FlushTimer;
  retryUntilDelivered: boolean;
  /** Seals everything and resolves when it is settled. */
  flush: () => Promise<void>;
}

export class QueueCloser {
  readonly #p: QueueCloserParts;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(parts: QueueCloserParts) {
    this.#p = parts;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether new work is refused (the queue is closed); logs what was ignored. */
  refuse(what: string): boolean {
    if (!this.closed) return false;
    if (this.#p.logger.debugEnabled) this.#p.logger.debug(`Notification queue is closed; ${what} ignored`);
    return true;
  }

  close(options: QueueCloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const { scheduler, timer, flush } = this.#p;
    timer.stop();
    const deadline =
      options.deadline ??
      (this.#p.retryUntilDelivered || this.#p.spool.configured
        ? scheduler.now() + DEFAULT_CLOSE_GRACE
        : undefined);
    if (deadline === undefined) return (this.#closing = flush());
    const deadlineTimer = scheduler.setTimeout(() => this.abandon(), Math.max(0, deadline - scheduler.now()));
    this.#closing = flush().then(() => deadlineTimer.cancel());
    return this.#closing;
  }

  /** At the close deadline: everything unsent (queued, retrying, in flight) goes to the spool or is lost. */
  abandon(): void {
    const { buffer, dispatcher, spool } = this.#p;
    if (dispatcher.abandoned) return;
    buffer.sealAll();
    dispatcher.abandon((left) => spool.keepUnsent(left));
  }
}
