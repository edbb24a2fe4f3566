/**
 * Signal handling for the service process: on SIGTERM or SIGINT, stop gracefully (stop accepting,
 * finish in-flight requests, close the client so queued notifications are sent) and exit with the
 * code the stop resolves to (0, or 3 when notifications were lost). A second signal, or a stop that
 * exceeds the timeout, exits 1 at once. A cluster worker does not escalate on a second signal: it
 * gets the terminal's SIGINT and the primary's forwarded one, and the primary does the escalating.
 */
import { systemScheduler, type Scheduler } from "../platform/scheduler";
import type { PinoLogger } from "./logging";

export interface ShutdownOptions {
  logger: PinoLogger;
  /** ms before giving up on a graceful stop. */
  timeout: number;
  signals?: readonly NodeJS.Signals[];
  /** Default process.exit (tests inject a recorder). */
  exit?: (code: number) => void;
  /** Timer for the stop timeout (default: real, unref'd timers). */
  scheduler?: Scheduler;
  /** Default the real process. */
  target?: Pick<NodeJS.Process, "on" | "removeListener">;
  /** Whether a second signal exits 1 at once. Default true. */
  escalate?: boolean;
}

/** Installs the handlers; returns a function that removes them. */
export function installShutdownHandlers(
  stop: () => Promise<number | void>,
  options: ShutdownOptions,
): () => void {
  const { logger, timeout } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const target = options.target ?? process;
  const signals = options.signals ?? (["SIGTERM", "SIGINT"] as const);
  const scheduler = options.scheduler ?? systemScheduler;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (options.escalate === false) return;
      logger.warn({ signal }, "second signal: exiting without waiting");
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, "signal received");
    const timer = scheduler.setTimeout(() => {
      logger.error({ timeoutMs: timeout }, "graceful stop timed out");
      exit(1);
    }, timeout);
    stop().then(
      (code) => {
        timer.cancel();
        exit(code ?? 0);
      },
      (err: unknown) => {
        timer.cancel();
        logger.error({ err }, "graceful stop failed");
        exit(1);
      },
    );
  };

  // Kept installed after the first signal, so a second one forces the exit (exit code 1).
  for (const s of signals) target.on(s, onSignal);
  return () => {
    for (const s of signals) target.removeListener(s, onSignal);
  };
}
