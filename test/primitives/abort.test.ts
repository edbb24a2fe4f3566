import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { ManualScheduler } from "../support/manual-scheduler";
import { createDeadline, sleep, withTimeout } from "../../src/primitives/abort";

describe("sleep", () => {
  it("resolves after the delay on the scheduler", async () => {
    const s = new ManualScheduler(0);
    let done = false;
    void sleep(s, 100).then(() => (done = true));
    await s.advance(99);
    expect(done).toBe(false);
    await s.advance(1);
    expect(done).toBe(true);
  });

  it("rejects with the abort reason and cancels its timer", async () => {
    const s = new ManualScheduler(0);
    const controller = new AbortController();
    const p = sleep(s, 100, controller.signal);
    expect(s.pending).toBe(1);
    const reason = new DecisioningError("ODE_ERR_TIMEOUT", "t");
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(s.pending).toBe(0);
  });

  it("rejects at once with ODE_ERR_ABORTED for an already aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(new ManualScheduler(0), 5, controller.signal)).rejects.toMatchObject({ code: "ODE_ERR_ABORTED" });
  });
});

describe("createDeadline", () => {
  const timeoutError = () => new DecisioningError("ODE_ERR_TIMEOUT", "too slow");

  it("aborts with the timeout reason when the time is up, and race() stops waiting then", async () => {
    const s = new ManualScheduler(0);
    const d = createDeadline({ scheduler: s, timeoutMs: 50, onTimeout: timeoutError });
    const never = new Promise<string>(() => {});
    const raced = expect(d.race(never)).rejects.toMatchObject({ code: "ODE_ERR_TIMEOUT" });
    await s.advance(50);
    await raced;
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(true);
    d.dispose();
  });

  it("follows its parent signal with the mapped reason, and dispose() cancels the timer", async () => {
    const s = new ManualScheduler(0);
    const parent = new AbortController();
    const d = createDeadline({
      scheduler: s,
      timeoutMs: 50,
      onTimeout: timeoutError,
      parent: parent.signal,
      onParentAbort: (cause) => new DecisioningError("ODE_ERR_ABORTED", "stopped", { cause }),
    });
    parent.abort("bye");
    await expect(d.race(Promise.resolve(1).then(() => new Promise(() => {})))).rejects.toMatchObject({
      code: "ODE_ERR_ABORTED",
      cause: "bye",
    });
    expect(d.timedOut).toBe(false);
    d.dispose();
    expect(s.pending).toBe(0);
  });

  it("passes a settled promise through and aborts at once under an aborted parent", async () => {
    const s = new ManualScheduler(0);
    const d = createDeadline({ scheduler: s, timeoutMs: 50, onTimeout: timeoutError });
    await expect(d.race(Promise.resolve("ok"))).resolves.toBe("ok");
    d.dispose();
    const parent = new AbortController();
    parent.abort(new DecisioningError("ODE_ERR_CLOSED", "closed"));
    const e = createDeadline({ scheduler: s, timeoutMs: 50, onTimeout: timeoutError, parent: parent.signal });
    expect(e.signal.aborted).toBe(true);
    await expect(e.race(new Promise(() => {}))).rejects.toMatchObject({ code: "ODE_ERR_CLOSED" });
    e.dispose();
  });
});

describe("withTimeout", () => {
  it("settles as the promise does before the timeout, and rejects with the timeout error after it", async () => {
    const s = new ManualScheduler(0);
    await expect(withTimeout(Promise.resolve(3), s, 10, () => new Error("late"))).resolves.toBe(3);
    expect(s.pending).toBe(0);
    const late = expect(withTimeout(new Promise(() => {}), s, 10, () => new Error("late"))).rejects.toThrow("late");
    await s.advance(10);
    await late;
  });
});
