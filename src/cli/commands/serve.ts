/** `odd serve`: runs the decisioning service and the XCore repository until SIGTERM/SIGINT. */
import { OFFER_SETTINGS, resolveOfferConfig } from "../../offers/config";
import { resolveRepositoryConfig, REPOSITORY_SETTINGS } from "../../repository/config";
import { AUTH_SETTINGS, resolveAuthConfig } from "../../server/auth";
import { isClusterWorker, runPrimary } from "../../server/cluster";
import { resolveServerConfig, SETTINGS, type ConfigFlags } from "../../server/config";
import { createLogger } from "../../server/logging";
import { installShutdownHandlers } from "../../server/shutdown";
import type { Command, OptionTable } from "../args";

/** A cluster worker waits this long for its artifact before it takes connections on the shared port. */
const WORKER_READY_WAIT_MS = 5_000;

const options: OptionTable = Object.fromEntries([
  ...SETTINGS.map((s) => [s.flag, { type: "string" as const, help: `${s.help} [${s.env}]` }]),
  ...[...AUTH_SETTINGS, ...REPOSITORY_SETTINGS, ...OFFER_SETTINGS].map((s) => [
    s.flag,
    { type: s.type, ...("multiple" in s ? { multiple: true } : {}), help: `${s.help} [${s.env}]` },
  ]),
]);

export const serveCommand: Command = {
  name: "serve",
  summary:
    "Run the service: Delivery API (POST /rest/v1/delivery), XCore repository (/data/core/xcore), offer decisions (/data/core/ode), health, metrics.",
  options,
  details: `
Every option can also be set by the environment variable shown in brackets; flags win.
Without --artifact the bundled sample artifact is served (client "demo") with remote calls off.
The repository stores in --store (default: an SQLite file under --data-dir, ./.odd). Without
--api-token the service only binds loopback hosts unless --insecure-no-auth is given.
--workers N runs N processes sharing the port (default: the available cores).
SIGTERM or SIGINT stops gracefully: no new connections, in-flight requests finish, queued
notifications are sent (or spooled with --notification-spool), exit code 0; 3 when notifications
were lost. Offer decisions use the repository's offers; --capping redis://… shares frequency caps
between nodes; --fixed-time is for tests and demos only.
See docs/server.md, docs/repository.md and docs/offers.md.`,
  async run(args, io) {
    const config = resolveServerConfig(args.values as ConfigFlags, io.env);
    const repository = {
      config: resolveRepositoryConfig(args.values, io.env),
      auth: resolveAuthConfig(args.values, io.env),
      offers: resolveOfferConfig(args.values, io.env),
    };
    const logger = createLogger(config.logLevel);
    if (config.workers > 1 && !isClusterWorker()) {
      runPrimary({ workers: config.workers, logger, shutdownTimeout: config.shutdownTimeout });
      return undefined;
    }
    // Handlers first: a signal that arrives while the service starts (a cluster worker stopped
    // right after its fork) waits for the start, then stops it.
    // Loaded on use: the service pulls in fastify and the store drivers, which other commands never need.
    const { startService } = await import("../../server/index");
    const starting = startService(config, {
      logger,
      repository,
      ...(isClusterWorker() ? { readyBeforeListen: WORKER_READY_WAIT_MS } : {}),
    });
    installShutdownHandlers(async () => (await starting).close(), {
      logger,
      timeout: config.shutdownTimeout,
      escalate: !isClusterWorker(),
    });
    try {
      await starting;
    } catch (err) {
      // A worker's IPC channel would keep it alive after a failed start: exit once the CLI has
      // reported the error and set the exit code.
      if (isClusterWorker()) setImmediate(() => process.exit(process.exitCode ?? 1));
      throw err;
    }
    return undefined;
  },
};
