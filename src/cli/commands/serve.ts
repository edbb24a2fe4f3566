/** `odd serve`: runs the decisioning service until SIGTERM/SIGINT. */
import { resolveServerConfig, SETTINGS, type ConfigFlags } from "../../server/config";
import { createLogger } from "../../server/logging";
import { installShutdownHandlers } from "../../server/shutdown";
import type { Command, OptionTable } from "../args";

const options: OptionTable = Object.fromEntries(
  SETTINGS.map((s) => [s.flag, { type: "string" as const, help: `${s.help} [${s.env}]` }]),
);

export const serveCommand: Command = {
  name: "serve",
  summary: "Run the Delivery API service (POST /rest/v1/delivery, GET /health, /ready, /metrics).",
  options,
  details: `
Every option can also be set by the environment variable shown in brackets; flags win.
Without --artifact the bundled sample artifact is served (client "demo") with remote calls off.
SIGTERM or SIGINT stops gracefully: no new connections, in-flight requests finish, queued
notifications are sent, exit code 0. See docs/server.md.`,
  async run(args, io) {
    const config = resolveServerConfig(args.values as ConfigFlags, io.env);
    const logger = createLogger(config.logLevel);
    // Loaded on use: the service pulls in fastify and the store drivers, which other commands never need.
    const { startService } = await import("../../server/index");
    const service = await startService(config, { logger });
    installShutdownHandlers(() => service.close(), { logger, timeout: config.shutdownTimeout });
    return undefined;
  },
};
