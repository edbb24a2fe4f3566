/**
 * The callers of `enqueueAndWait` whose items share one group. They are settled together once every
 * batch sealed from that group has settled: rejected with the first batch's error, or with
 * ODE_ERR_NOTIFICATION_DROPPED when some of the group's notifications were dropped, else resolved.
 */
import { DecisioningError } from "../../errors";

interface Caller {
  resolve: () => void;
  reject: (err: DecisioningError) => void;
}

export class ItemWaiters {
  /** Batches sealed from the group and not settled yet. */
  pending = 0;
  /** The error of the first batch given up on. */
  error: DecisioningError | undefined = undefined;
  /** Notifications of the group dropped before they were sent. */
  dropped = 0;
  readonly #callers: Caller[] = [];

  add(resolve: () => void, reject: (err: DecisioningError) => void): void {
    this.#callers.push({ resolve, reject });
  }

  /** One batch sealed from the group settled (with its error when it was given up on). */
  batchSettled(error: DecisioningError | undefined): void {
    if (error && !this.error) this.error = error;
    if (--this.pending === 0) this.settle();
  }

  settle(): void {
    let error = this.error;
    if (!error && this.dropped > 0) {
      error = new DecisioningError(
        "ODE_ERR_NOTIFICATION_DROPPED",
        `${this.dropped} notification(s) were dropped before they could be sent`,
        { recoverable: true, details: { dropped: this.dropped } },
      );
    }
    for (const caller of this.#callers) {
      if (error) caller.reject(error);
      else caller.resolve();
    }
  }
}
