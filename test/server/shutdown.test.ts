import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ManualScheduler } from "../support/manual-scheduler";
import { createLogger } from "../../src/server/logging";
import { installShutdownHandlers } from "../../src/server/shutdown";

function setup(stop: () => Promise<void>) {
  const target = new EventEmitter();
  const exits: number[] = [];
  const scheduler = new ManualScheduler();
  const remove = installShutdownHandlers(stop, {
    logger: createLogger("silent"),
    timeout: 1000,
    exit: (code) => void exits.push(code),
    target: target as unknown as NodeJS.Process,
    scheduler,
  });
  return { target, exits, scheduler, remove };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("installShutdownHandlers", () => {
  it("stops once on SIGTERM and exits 0 when the stop completes", async () => {
    let stops = 0;
    let finish!: () => void;
    const { target, exits } = setup(() => {
      stops++;
      return new Promise<void>((r) => (finish = r));
    });
    target.emit("SIGTERM", "SIGTERM");
    await tick();
    expect(stops).toBe(1);
    expect(exits).toEqual([]);
    finish();
    await tick();
    expect(exits).toEqual([0]);
  });

  it("exits 1 at once on a second signal", async () => {
    const { target, exits } = setup(() => new Promise<void>(() => undefined));
    target.emit("SIGINT", "SIGINT");
    target.emit("SIGTERM", "SIGTERM");
    expect(exits).toEqual([1]);
  });

  it("exits 1 when the stop exceeds the timeout or fails", async () => {
    const slow = setup(() => new Promise<void>(() => undefined));
    slow.target.emit("SIGTERM", "SIGTERM");
    await slow.scheduler.advance(999);
    expect(slow.exits).toEqual([]);
    await slow.scheduler.advance(1);
    expect(slow.exits).toEqual([1]);

    const failing = setup(() => Promise.reject(new Error("boom")));
    failing.target.emit("SIGTERM", "SIGTERM");
    await tick();
    expect(failing.exits).toEqual([1]);
  });

  it("removes its handlers", () => {
    const { target, remove } = setup(async () => undefined);
    expect(target.listenerCount("SIGTERM")).toBe(1);
    remove();
    expect(target.listenerCount("SIGTERM")).toBe(0);
  });
});
