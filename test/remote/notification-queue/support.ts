/** Shared by the queue unit tests: a display notification per token, and a buffer without hooks. */
import type { Notification } from "../../../src/protocol/delivery";
import { NotificationBuffer } from "../../../src/remote/notification-queue/buffer";

export const note = (token: string): Notification => ({
  id: `n-${token}`,
  type: "display",
  timestamp: 1,
  tokens: [token],
});

/** A buffer with generous capacity that ignores unserialisable items and drops. */
export const quietBuffer = (batchSize: number): NotificationBuffer =>
  new NotificationBuffer(
    { batchSize, maxQueued: 1000, maxQueuedBytes: 1 << 30 },
    { onUnserialisable: () => undefined, onDropped: () => undefined },
  );
