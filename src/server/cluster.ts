/**
 * `odd serve --workers N`: N service processes (node:cluster) sharing one listening port. The
 * primary only supervises: it forks the workers, replaces one that dies unexpectedly, forwards
 * SIGTERM/SIGINT to every worker and exits when all of them have stopped, with the most severe of
 * their exit codes (1 failure > 3 notifications lost > 0). Connections are handed to the workers
 * round-robin by the primary (node's default on Linux), so a keep-alive client stays on one worker.
 *
 * Each worker is a complete service: it loads and polls the artifact itself (conditional GETs
 * with the artifact's ETag, or a file watch: see docs/server.md for why not one poll in the
 * primary), decides, queues and sends its own notifications, and drains on SIGTERM. `/metrics`
 * answered by any worker covers all of them (prom-client's cluster aggregator, in metrics.ts).
 */
import cluster, { type Worker } from "node:cluster";
import type { PinoLogger } from "./logging";
import { serveClusterMetrics } from "./metrics";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** The service stopped cleanly but notifications were lost (neither sent nor spooled). */
export const EXIT_NOTIFICATIONS_LOST = 3;
/** A worker that dies this soon after its start is not replaced again (a crash loop). */
const MIN_WORKER_LIFETIME_MS = 5_000;
const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export interface PrimaryOptions {
  workers: number;
  logger: PinoLogger;
  /** ms the workers get to stop before they are killed. */
  shutdownTimeout: number;
  /** Default process.exit. */
  exit?: (code: number) => void;
}

/** Severity order of exit codes: a failure beats lost notifications beats success. */
export function worstExitCode(codes: readonly number[]): number {
  if (codes.some((c) => c !== EXIT_OK && c !== EXIT_NOTIFICATIONS_LOST)) return EXIT_FAILURE;
  return codes.includes(EXIT_NOTIFICATIONS_LOST) ? EXIT_NOTIFICATIONS_LOST : EXIT_OK;
}

const WORKER_SLOT_ENV = "ODD_WORKER_SLOT";

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** This worker's slot (0-based; stable across replacements), or undefined outside a cluster. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot >= 0 ? slot : 0;
}

/** Runs the supervising primary until every worker stopped after a signal; then exits. */
export function runPrimary(options: PrimaryOptions): void {
  const { logger, workers } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  /** Per worker id: when it started and its slot (0..workers-1, kept by a replacement). */
  const started = new Map<number, { at: number; slot: number }>();
  const codes: number[] = [];
  /** Workers that accept connections; one stopped before that never served and may just be killed. */
  const serving = new Set<number>();
  let stopping = false;
  cluster.on("listening", (worker: Worker) => serving.add(worker.id));

  const fork = (slot: number) => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    started.set(worker.id, { at: Date.now(), slot });
  };

  cluster.on("exit", (worker: Worker, code: number | null, signal: string | null) => {
    const info = started.get(worker.id) ?? { at: 0, slot: 0 };
    const lifetime = Date.now() - info.at;
    started.delete(worker.id);
    const served = serving.delete(worker.id);
    codes.push(stopping && !served ? EXIT_OK : (code ?? EXIT_FAILURE));
    if (stopping) {
      if (started.size === 0) finish();
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, "worker exited unexpectedly");
    // A worker that served for a while is replaced; one that failed before it listened (bad
    // configuration) or crashed right away would only fail again.
    if (served && lifetime >= MIN_WORKER_LIFETIME_MS) fork(info.slot);
    else if (started.size === 0) {
      logger.error("every worker failed at startup; stopping");
      exit(EXIT_FAILURE);
    }
  });

  const finish = () => {
    const code = worstExitCode(codes);
    logger.info({ exitCode: code }, "all workers stopped");
    exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: killing the workers");
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGKILL");
      exit(EXIT_FAILURE);
      return;
    }
    stopping = true;
    logger.info(
      { signal, workers: Object.keys(cluster.workers ?? {}).length },
      "signal received: stopping the workers",
    );
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.shutdownTimeout }, "workers did not stop in time; killing them");
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGKILL");
      exit(EXIT_FAILURE);
    }, options.shutdownTimeout + 2_000);
    timer.unref();
    if (Object.keys(cluster.workers ?? {}).length === 0) finish();
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  serveClusterMetrics();
  logger.info({ workers }, "starting workers");
  for (let slot = 0; slot < workers; slot++) fork(slot);
}
