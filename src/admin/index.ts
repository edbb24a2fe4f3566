/**
 * The Admin API subsystem: the domain service over a store port, its HTTP plugin (with the Batch
 * API), and the publisher that turns authored activities into served artifacts.
 * `createAdminRuntime` builds the parts; `registerAdminRoutes` mounts them on a fastify app (used by
 * `odd serve` and by tests).
 */
import type { FastifyInstance } from "fastify";
import { adminPlugin, type AdminPluginOptions } from "./http";
import { createMemoryAdminStore } from "./memory-store";
import { createSqlAdminStore, openSqlAdminStore } from "./sql-store";
import type { Database } from "../storage/database";
import { createAdminService, type AdminService } from "./service";
import type { AdminStore } from "./store";
import { artifactRoutes } from "../publish/http";
import { createPublisher, type Publisher, type PublisherOptions } from "../publish/publisher";

export { createAdminService, type AdminService } from "./service";
export { createMemoryAdminStore } from "./memory-store";
export { openSqlAdminStore, createSqlAdminStore } from "./sql-store";
export type { AdminStore, AdminTransaction } from "./store";
export { createPublisher, type Publisher, type PublishReport } from "../publish/publisher";
export { compileArtifact } from "../publish/compiler/compile";

export interface AdminRuntimeOptions {
  /** Default: a new in-memory store. */
  store?: AdminStore;
  publisher?: Omit<PublisherOptions, "data">;
  now?: () => number;
}

export interface AdminRuntime {
  readonly service: AdminService;
  readonly publisher: Publisher;
  /** Publishes every stored tenant once (at start: the compiler may be newer than the stored artifacts). */
  publishAll(): Promise<void>;
  /** Stops publishing (waits for a publish in progress) and closes the store. */
  close(): Promise<void>;
}

export function createAdminRuntime(options: AdminRuntimeOptions = {}): AdminRuntime {
  const store = options.store ?? createMemoryAdminStore();
  const service = createAdminService({ store, ...(options.now ? { now: options.now } : {}) });
  const publisher = createPublisher({ data: service, ...options.publisher });
  let closing: Promise<void> | undefined;
  return {
    service,
    publisher,
    async publishAll() {
      for (const tenant of await store.tenants()) await publisher.publish(tenant);
    },
    close: () =>
      (closing ??= (async () => {
        await publisher.close();
        await store.close();
      })()),
  };
}

/** Opens an Admin store from a store URL: `memory:` or anything src/storage opens (sqlite:, postgres://). */
/** The Admin store at `url` ("memory:", `sqlite:…`, `postgres://…`), or on a database the caller owns and closes. */
export async function openAdminStore(target: string | Database): Promise<AdminStore> {
  if (typeof target !== "string") return createSqlAdminStore(target, { ownsDatabase: false });
  return target === "memory:" ? createMemoryAdminStore() : openSqlAdminStore(target);
}

export interface AdminRoutesOptions {
  authenticate: AdminPluginOptions["authenticate"];
  batch?: AdminPluginOptions["batch"];
}

/** Mounts the Admin API (`/{tenant}/target/…`, token) and the public artifact paths (no token). */
export async function registerAdminRoutes(
  app: FastifyInstance,
  runtime: AdminRuntime,
  options: AdminRoutesOptions,
): Promise<void> {
  await app.register(adminPlugin, {
    service: runtime.service,
    publisher: runtime.publisher,
    authenticate: options.authenticate,
    ...(options.batch ? { batch: options.batch } : {}),
  });
  await app.register(artifactRoutes, { publisher: runtime.publisher });
}
