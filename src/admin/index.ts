/**
 * The Admin API subsystem: the domain service over a store port, its HTTP plugin (with the Batch
 * API), and the publisher that turns authored activities into served artifacts. `registerAdmin`
 * wires all of it into a fastify app (used by `odd serve` and by tests).
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { adminPlugin, type AdminPluginOptions } from "./http";
import { createMemoryAdminStore } from "./memory-store";
import { createAdminService, type AdminService } from "./service";
import type { AdminStore } from "./store";
import { artifactRoutes } from "../publish/http";
import { createPublisher, type Publisher, type PublisherOptions } from "../publish/publisher";

export { createAdminService, type AdminService } from "./service";
export { createMemoryAdminStore } from "./memory-store";
export type { AdminStore, AdminTransaction } from "./store";
export { createPublisher, type Publisher, type PublishReport } from "../publish/publisher";
export { compileArtifact } from "../publish/compile";

export interface AdminSetupOptions {
  store?: AdminStore;
  authorize: AdminPluginOptions["authorize"];
  publisher?: Omit<PublisherOptions, "service">;
  batch?: AdminPluginOptions["batch"];
  now?: () => number;
}

export interface AdminSetup {
  service: AdminService;
  publisher: Publisher;
  /** Publishes every stored tenant once (at start: the compiler may be newer than the stored artifacts). */
  publishAll(): Promise<void>;
  close(): Promise<void>;
}

/** Registers the Admin API and the public artifact paths on `app`. */
export async function registerAdmin(app: FastifyInstance, options: AdminSetupOptions): Promise<AdminSetup> {
  const store = options.store ?? createMemoryAdminStore();
  const service = createAdminService({ store, ...(options.now ? { now: options.now } : {}) });
  const publisher = createPublisher({ service, ...options.publisher });
  await app.register(adminPlugin, { service, publisher, authorize: options.authorize, ...(options.batch ? { batch: options.batch } : {}) });
  await app.register(artifactRoutes, { publisher });
  return {
    service,
    publisher,
    async publishAll() {
      for (const tenant of await store.tenants()) await publisher.publish(tenant);
    },
    async close() {
      await publisher.close();
      await store.close();
    },
  };
}

/** A bearer-token check in constant time against a list of accepted tokens. */
export function bearerTokenAuthorizer(tokens: readonly string[]): (request: FastifyRequest) => boolean {
  const accepted = tokens.filter((t) => t !== "").map((t) => Buffer.from(t));
  return (request) => {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) return false;
    const given = Buffer.from(match[1]!);
    let ok = false;
    for (const token of accepted) if (token.length === given.length && timingSafeEqual(token, given)) ok = true;
    return ok;
  };
}
