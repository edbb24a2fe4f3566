/** `odd serve`: runs the decisioning service and the XCore repository until SIGTERM/SIGINT. */
import { resolveRepositoryConfig, REPOSITORY_SETTINGS } from "../../repository/config";
import { AUTH_SETTINGS, resolveAuthConfig } from "../../server/auth";
import { resolveServerConfig, SETTINGS, type ConfigFlags } from "../../server/config";
import { createLogger } from "../../server/logging";
import { installShutdownHandlers } from "../../server/shutdown";
import type { Command, OptionTable } from "../args";

const options: OptionTable = Object.fromEntries([
  ...SETTINGS.map((s) => [s.flag, { type: "string" as const, help: `${s.help} [${s.env}]` }]),
  ...[...AUTH_SETTINGS, ...REPOSITORY_SETTINGS].map((s) => [
    s.flag,
    { type: s.type, ...("multiple" in s ? { multiple: true } : {}), help: `${s.help} [${s.env}]` },
  ]),
]);

export const serveCommand: Command = {
  name: "serve",
  summary: "Run the service: Delivery API (POST /rest/v1/delivery), XCore repository (/data/core/xcore), health, metrics.",
  options,
  details: `
Every option can also be set by the environment variable shown in brackets; flags win.
Without --artifact the bundled sample artifact is served (client "demo") with remote calls off.
The repository stores in --store (default: an SQLite file under --data-dir, ./.odd). Without
--api-token the service only binds loopback hosts unless --insecure-no-auth is given.
SIGTERM or SIGINT stops gracefully: no new connections, in-flight requests finish, queued
notifications are sent, exit code 0. See docs/server.md and docs/repository.md.`,
  async run(args, io) {
    const config = resolveServerConfig(args.values as ConfigFlags, io.env);
    const repository = { config: resolveRepositoryConfig(args.values, io.env), auth: resolveAuthConfig(args.values, io.env) };
    const logger = createLogger(config.logLevel);
    // Loaded on use: the service pulls in fastify and the store drivers, which other commands never need.
    const { startService } = await import("../../server/index");
    const service = await startService(config, { logger, repository });
    installShutdownHandlers(() => service.close(), { logger, timeout: config.shutdownTimeout });
    return undefined;
  },
};
