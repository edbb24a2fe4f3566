/**
 * The notification side of the service's lifecycle: how the client keeps notifications (retried
 * until the upstream answers, bounded by bytes, spooled across restarts) and how a stop drains HTTP
 * and sends what is queued in parallel, within the shutdown timeout, with an exit code that tells
 * whether anything was lost.
 */
import type { FastifyInstance } from "fastify";
import type { ClientOptions, TargetClient } from "../client";
import { EXIT_NOTIFICATIONS_LOST, EXIT_OK, workerSlot } from "./cluster";
import type { ServerConfig } from "./config";
import type { ConnectionDrain } from "./drain";
import type { PinoLogger } from "./logging";
import type { OutboundFetch } from "./outbound";
import { createFileSpool } from "./spool";

/** The byte capacity is the bound that matters; the count only guards against tiny notifications. */
const MAX_QUEUED_NOTIFICATIONS = 10_000_000;
/** Part of the shutdown timeout kept for logging and exiting (at most 1 s, at most a fifth). */
const EXIT_RESERVE_MS = 1_000;
/** How long idle keep-alive connections get to carry one more request (answered with Connection: close). */
const CONNECTION_GRACE_MS = 1_000;

export function notificationOptions(config: ServerConfig): Partial<ClientOptions> {
  // Nothing would receive impressions or telemetry: do not produce them at all.
  if (config.upstream === "off") return { notificationsEnabled: false, telemetryEnabled: false };
  const spool = config.notificationSpool
    ? createFileSpool({ file: config.notificationSpool, slot: workerSlot(), workers: config.workers })
    : undefined;
  return {
    notificationRetryUntilDelivered: true,
    notificationMaxQueuedBytes: config.notificationCapacity,
    notificationMaxQueued: MAX_QUEUED_NOTIFICATIONS,
    ...(spool ? { notificationSpool: spool } : {}),
  };
}

export interface ShutdownParts {
  app: FastifyInstance;
  connections: ConnectionDrain;
  client: TargetClient;
  outbound: OutboundFetch;
  /** Closed once HTTP is drained (the repository's and the Admin API's stores). */
  stores?: { name: string; close(): Promise<void> }[];
  logger: PinoLogger;
  /** The configured shutdown timeout in ms (the signal handler exits 1 when it passes). */
  timeout: number;
}

/** Resolves after `ms`, or never when `ms` is Infinity; the timer does not hold the process. */
function after(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function stop(p: ShutdownParts): Promise<number> {
  const { app, client, outbound, logger } = p;
  const started = Date.now();
  const budget = Math.max(0, p.timeout - Math.min(EXIT_RESERVE_MS, Math.floor(p.timeout / 5)));
  const before = client.status().notifications;
  logger.info(
    { notificationsQueued: before.queued },
    "shutting down: draining HTTP and sending queued notifications",
  );
  // What is queued goes out while in-flight requests finish; their notifications join the queue.
  const flushing = client.flush();
  const drained = p.connections
    .drain(Math.min(CONNECTION_GRACE_MS, budget / 4))
    .then(() => app.close())
    .catch((err: unknown) => logger.error({ err }, "closing the HTTP server failed"));
  await Promise.race([drained, after(budget)]);
  for (const store of p.stores ?? []) {
    await store.close().catch((err: unknown) => logger.error({ err }, `closing the ${store.name} failed`));
  }
  await client.close({ timeout: Math.max(0, budget - (Date.now() - started)) }).catch((err: unknown) => {
    logger.error({ err }, "closing the client failed");
  });
  await flushing;
  await outbound.close().catch(() => undefined);
  const n = client.status().notifications;
  const exitCode = n.lostNotifications > 0 ? EXIT_NOTIFICATIONS_LOST : EXIT_OK;
  logger[exitCode === EXIT_OK ? "info" : "error"](
    {
      notificationsQueuedAtClose: before.queued,
      notificationsSent: n.sentNotifications,
      notificationsFailed: n.failedNotifications,
      notificationsDropped: n.dropped,
      notificationsLost: n.lostNotifications,
      notificationsSpooled: n.spooledNotifications,
      exitCode,
      ms: Date.now() - started,
    },
    "stopped",
  );
  return exitCode;
}

/** The service's graceful stop; idempotent. Resolves to the exit code (0, or 3: notifications lost). */
export function createShutdown(parts: ShutdownParts): () => Promise<number> {
  let stopping: Promise<number> | undefined;
  return () => (stopping ??= stop(parts));
}
