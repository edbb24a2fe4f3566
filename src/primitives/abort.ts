/**
 * Aborting and timing out, the one implementation: a deadline (an AbortSignal that fires when a
 * timeout elapses or a parent signal aborts, and a `race` that stops waiting at that moment), an
 * abortable sleep, and the reason an aborted signal carries. Time comes from the Scheduler port.
 */
import { DecisioningError } from "../errors";
import type { Scheduler } from "../platform/scheduler";

/** The reason an aborted signal carries, as a DecisioningError (ODE_ERR_ABORTED unless it already is one). */
export function abortReason(signal: AbortSignal): DecisioningError {
  const reason: unknown = signal.reason;
  if (DecisioningError.is(reason)) return reason;
  return new DecisioningError("ODE_ERR_ABORTED", "The operation was aborted", { cause: reason });
}

/**
 * Waits `ms` on the scheduler. Rejects with {@link abortReason} as soon as `signal` aborts (or
 * immediately when it already is); the timer is cancelled on abort.
 */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal!));
    };
    const timer = scheduler.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface DeadlineOptions {
  scheduler: Scheduler;
  timeoutMs: number;
  /** The abort reason when the timeout elapses. */
  onTimeout: () => unknown;
  /** A signal whose abort aborts this deadline too. */
  parent?: AbortSignal;
  /** The abort reason when the parent aborts; default the parent's own reason. */
  onParentAbort?: (reason: unknown) => unknown;
}

/** One operation's deadline. Call `dispose()` when the operation ends, however it ends. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether the timeout (not the parent, nor `abort()`) aborted the signal. */
  readonly timedOut: boolean;
  /** Settles as `promise` does, or rejects with {@link abortReason} as soon as the signal aborts. */
  race<T>(promise: Promise<T>): Promise<T>;
  abort(reason?: unknown): void;
  /** Cancels the timer and detaches from the parent signal. */
  dispose(): void;
}

export function createDeadline(o: DeadlineOptions): Deadline {
  const controller = new AbortController();
  const signal = controller.signal;
  let timedOut = false;
  let aborted: Promise<never> | undefined;
  const onParentAbort = () => controller.abort(o.onParentAbort ? o.onParentAbort(o.parent!.reason) : o.parent!.reason);
  if (o.parent?.aborted) onParentAbort();
  else o.parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer = o.scheduler.setTimeout(() => {
    timedOut = true;
    controller.abort(o.onTimeout());
  }, o.timeoutMs);
  /** Rejects once the signal aborts; created on first use, and never reported as unhandled. */
  const whenAborted = (): Promise<never> => {
    if (!aborted) {
      aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(abortReason(signal));
        else signal.addEventListener("abort", () => reject(abortReason(signal)), { once: true });
      });
      aborted.catch(() => {});
    }
    return aborted;
  };
  return {
    signal,
    get timedOut() {
      return timedOut;
    },
    race: <T>(promise: Promise<T>) => Promise.race([promise, whenAborted()]),
    abort: (reason?: unknown) => controller.abort(reason),
    dispose() {
      timer.cancel();
      o.parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

/**
 * Settles as `promise` does, or rejects with `onTimeout()` after `timeoutMs` (the timer is
 * cancelled once the promise settles). The promise itself is not cancelled.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  scheduler: Scheduler,
  timeoutMs: number,
  onTimeout: () => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.setTimeout(() => reject(onTimeout()), timeoutMs);
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
}
