/**
 * The queue's side of the spool port: batches saved by an earlier run are loaded and sent first
 * (the spool is cleared once they are all settled); at the close deadline whatever is unsent is
 * saved for the next start, or counted as lost when there is no spool (or writing it failed).
 */
import type { SafeLogger } from "../../logger";
import type { NotificationBuffer, SealedBatch } from "./buffer";
import type { NotificationSpool, SpooledBatch } from "./types";

export class SpoolKeeper {
  readonly #spool: NotificationSpool | undefined;
  readonly #logger: SafeLogger;
  /** Batches loaded from the spool and not settled yet. */
  #loadedPending = 0;
  #spooledNotifications = 0;
  #lostNotifications = 0;

  constructor(spool: NotificationSpool | undefined, logger: SafeLogger) {
    this.#spool = spool;
    this.#logger = logger;
  }

  get configured(): boolean {
    return Boolean(this.#spool);
  }

  /** Notifications saved to the spool at close. */
  get spooledNotifications(): number {
    return this.#spooledNotifications;
  }

  /** Notifications left unsent at close with no spool to keep them. */
  get lostNotifications(): number {
    return this.#lostNotifications;
  }

  /** Adds the batches of an earlier run to the buffer; returns how many notifications they hold. */
  loadInto(buffer: NotificationBuffer): number {
    if (!this.#spool) return 0;
    let batches: SpooledBatch[] = [];
    try {
      batches = this.#spool.load();
    } catch (err) {
      this.#logger.error("Reading the notification spool failed:", err instanceof Error ? err.message : err);
    }
    let count = 0;
    for (const b of batches) {
      if (!b || !Array.isArray(b.notifications) || b.notifications.length === 0) continue;
      buffer.addSpooled(b);
      this.#loadedPending++;
      count += b.notifications.length;
    }
    if (count > 0) this.#logger.info(`Sending ${count} notification(s) saved to the spool by an earlier run`);
    return count;
  }

  /** A batch settled: once every loaded batch has (and the queue still runs), the spool is cleared. */
  batchSettled(batch: SealedBatch, abandoned: boolean): void {
    if (batch.fromSpool && --this.#loadedPending === 0 && !abandoned) this.#save([]);
  }

  /** Saves the batches left at the close deadline, or counts their notifications as lost. */
  keepUnsent(left: SealedBatch[]): void {
    const unsent = left.filter((b) => b.notifications.length > 0);
    const count = unsent.reduce((n, b) => n + b.notifications.length, 0);
    const spooled =
      count > 0 &&
      this.#save(
        unsent.map(({ request, sessionId, notifications }) => ({ request, sessionId, notifications })),
      );
    if (spooled) this.#spooledNotifications += count;
    else this.#lostNotifications += count;
    if (count > 0) {
      this.#logger.warn(
        spooled
          ? `Notification queue closed with ${count} notification(s) unsent; saved to the spool for the next start`
          : `Notification queue closed with ${count} notification(s) unsent and lost (no spool configured)`,
      );
    }
  }

  #save(batches: SpooledBatch[]): boolean {
    if (!this.#spool) return false;
    try {
      this.#spool.save(batches);
      return true;
    } catch (err) {
      this.#logger.error("Writing the notification spool failed:", err instanceof Error ? err.message : err);
      return false;
    }
  }
}
