import { describe, expect, it } from "vitest";
import { SpoolKeeper } from "../../../src/remote/notification-queue/spool";
import type { SpooledBatch } from "../../../src/remote/notification-queue/types";
import { recordingLogger } from "../stub-server";
import { note, quietBuffer } from "./support";

const newBuffer = () => quietBuffer(10);

function memorySpool(initial: SpooledBatch[]) {
  const saves: SpooledBatch[][] = [];
  return { saves, spool: { load: () => initial, save: (b: SpooledBatch[]) => void saves.push(b) } };
}

describe("SpoolKeeper", () => {
  it("loads valid batches first and clears the spool once they have all settled", () => {
    const { spool, saves } = memorySpool([
      { request: { id: { tntId: "a" } }, notifications: [note("a1"), note("a2")] },
      { request: {}, notifications: [] },
      null as unknown as SpooledBatch,
      { request: { id: { tntId: "b" } }, notifications: [note("b1")] },
    ]);
    const { logger, lines } = recordingLogger();
    const keeper = new SpoolKeeper(spool, logger);
    const buffer = newBuffer();
    expect(keeper.loadInto(buffer)).toBe(3);
    expect(buffer.queued).toBe(3);
    expect(lines.some((l) => l.level === "info" && l.text.includes("3 notification(s)"))).toBe(true);
    const first = buffer.takeNext()!;
    const second = buffer.takeNext()!;
    expect(first.fromSpool && second.fromSpool).toBe(true);
    expect(buffer.queuedBytes).toBe(0);
    keeper.batchSettled(first, false);
    expect(saves).toEqual([]);
    keeper.batchSettled(second, false);
    expect(saves).toEqual([[]]);
  });

  it("saves what is left unsent, or counts it lost without a spool or when saving fails", () => {
    const buffer = newBuffer();
    buffer.addSpooled({ request: { id: { tntId: "a" } }, sessionId: "s", notifications: [note("a1")] });
    buffer.addSpooled({ request: {}, notifications: [note("x")] });
    const left = [buffer.takeNext()!, buffer.takeNext()!];
    left[1]!.notifications = []; // emptied by capacity drops

    const { spool, saves } = memorySpool([]);
    const kept = new SpoolKeeper(spool, recordingLogger().logger);
    kept.keepUnsent(left);
    expect(saves).toEqual([
      [{ request: { id: { tntId: "a" } }, sessionId: "s", notifications: [note("a1")] }],
    ]);
    expect([kept.spooledNotifications, kept.lostNotifications]).toEqual([1, 0]);

    const none = new SpoolKeeper(undefined, recordingLogger().logger);
    none.keepUnsent(left);
    expect([none.spooledNotifications, none.lostNotifications]).toEqual([0, 1]);

    const { logger, lines } = recordingLogger();
    const failing = new SpoolKeeper(
      {
        load: () => [],
        save: () => {
          throw new Error("disk full");
        },
      },
      logger,
    );
    failing.keepUnsent(left);
    expect([failing.spooledNotifications, failing.lostNotifications]).toEqual([0, 1]);
    expect(lines.filter((l) => l.level === "error").map((l) => l.text)).toEqual([
      "Writing the notification spool failed: disk full",
    ]);
  });
});
