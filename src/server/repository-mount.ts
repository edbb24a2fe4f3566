/**
 * Mounts the XCore repository API into the service: refuses an unauthenticated non-loopback
 * binding, opens the store, registers the plugin under its mount point.
 */
import type { FastifyInstance } from "fastify";
import { openRepository, xcorePlugin, type RepositoryConfig } from "../repository";
import { assertSafeBinding, echoRequestId, requireBearerToken, type AuthConfig } from "./auth";
import type { ServerConfig } from "./config";
import type { PinoLogger } from "./logging";

export interface RepositoryMount {
  config: RepositoryConfig;
  auth: AuthConfig;
}

export async function mountRepository(
  app: FastifyInstance,
  mount: RepositoryMount,
  server: ServerConfig,
  logger: PinoLogger,
): Promise<{ close(): Promise<void> }> {
  assertSafeBinding(server.host, mount.auth.apiToken, mount.auth.insecureNoAuth);
  const { config } = mount;
  const repository = await openRepository({
    store: config.store,
    schemas: config.schemas,
    deleteMode: config.deleteMode,
    deletePendingPolls: config.deletePendingPolls,
    onBackgroundError: (err) => logger.error({ err }, "async delete decision failed"),
  });
  // The auth and request-id hooks wrap the plugin's scope; its error handler formats their 401s.
  await app.register(async (scope) => {
    scope.addHook("onRequest", echoRequestId);
    scope.addHook("onRequest", requireBearerToken(mount.auth.apiToken));
    await scope.register(xcorePlugin, { prefix: config.mount, mount: config.mount, repository, bodyLimit: server.bodyLimit });
  });
  logger.info(
    { store: repository.store.dialect, mount: config.mount, auth: mount.auth.apiToken ? "bearer" : "off", deleteMode: config.deleteMode },
    "repository mounted",
  );
  return { close: () => repository.store.close() };
}
