/**
 * Mounts the XCore repository API into the service: refuses an unauthenticated non-loopback
 * binding, opens the store, registers the plugin under its mount point.
 */
import type { FastifyInstance } from "fastify";
import type { OfferConfig } from "../offers/config";
import { openRepository, xcorePlugin, type RepositoryConfig } from "../repository";
import { assertSafeBinding, echoRequestId, requireBearerToken, type AuthConfig } from "./auth";
import type { ServerConfig } from "./config";
import type { PinoLogger } from "./logging";
import { mountOffers, repositoryFeed } from "./offers-mount";
import type { Registry } from "prom-client";
import type { Database } from "../storage/database";

export interface RepositoryMount {
  config: RepositoryConfig;
  auth: AuthConfig;
  /** Offer decisioning over the repository's offers (src/server/offers-mount.ts). */
  offers?: OfferConfig;
}

export async function mountRepository(
  app: FastifyInstance,
  mount: RepositoryMount,
  server: ServerConfig,
  logger: PinoLogger,
  registry?: Registry,
  database?: Database,
): Promise<{ close(): Promise<void> }> {
  assertSafeBinding(server.host, mount.auth.apiToken, mount.auth.insecureNoAuth);
  const { config } = mount;
  // `database`: the service's connection shared with the Admin API (closed by the service, not here).
  const repository = await openRepository({
    ...(database ? { database } : { store: config.store }),
    schemas: config.schemas,
    deleteMode: config.deleteMode,
    deletePendingPolls: config.deletePendingPolls,
    onBackgroundError: (err) => logger.error({ err }, "async delete decision failed"),
  });
  // The auth and request-id hooks wrap the plugin's scope; its error handler formats their 401s.
  await app.register(async (scope) => {
    scope.addHook("onRequest", echoRequestId);
    scope.addHook("onRequest", requireBearerToken(mount.auth.apiToken));
    await scope.register(xcorePlugin, {
      prefix: config.mount,
      mount: config.mount,
      repository,
      bodyLimit: server.bodyLimit,
    });
  });
  logger.info(
    {
      store: repository.store.dialect,
      mount: config.mount,
      auth: mount.auth.apiToken ? "bearer" : "off",
      deleteMode: config.deleteMode,
    },
    "repository mounted",
  );
  const offers =
    mount.offers && registry
      ? await mountOffers(app, {
          config: mount.offers,
          feed: repositoryFeed(repository),
          hooks: [echoRequestId, requireBearerToken(mount.auth.apiToken)],
          bodyLimit: server.bodyLimit,
          registry,
          logger,
        }).catch(async (err: unknown) => {
          await repository.store.close();
          throw err;
        })
      : undefined;
  return {
    close: async () => {
      await offers?.close();
      await repository.store.close();
    },
  };
}
