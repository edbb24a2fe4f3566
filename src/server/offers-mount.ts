/**
 * Mounts offer decisioning into the service: the decision indexes (kept in step with the
 * repository by the change-feed sync), the capping counters (memory or Redis), the profiles, the
 * metrics, and the ODE endpoints behind the service's bearer-token check.
 */
import type { FastifyInstance, onRequestHookHandler } from "fastify";
import type { DecisioningError } from "../errors";
import { createCatalogSync, type CatalogFeed } from "../offers/catalog-sync";
import { readProfilesFile, type OfferConfig } from "../offers/config";
import { offersPlugin } from "../offers/http-plugin";
import { createRedisCappingStore } from "../offers/redis-capping";
import { createMemoryCappingStore } from "../offers/core/capping/memory";
import type { CappingStore } from "../offers/core/capping/port";
import { createMemoryProfileStore, parseProfileLines } from "../offers/core/profiles";
import { createOfferRuntime } from "../offers/core/runtime";
import type { PinoLogger } from "./logging";
import type { Registry } from "./prometheus";

export interface OffersMount {
  config: OfferConfig;
  feed: CatalogFeed;
  /** onRequest hooks shared with the other protected APIs (bearer token, request id). */
  hooks: readonly onRequestHookHandler[];
  bodyLimit: number;
  registry: Registry;
  logger: PinoLogger;
}

function cappingStore(config: OfferConfig, logger: PinoLogger): CappingStore {
  if (config.cappingRedisUrl === undefined) return createMemoryCappingStore();
  let lastLogged = 0;
  return createRedisCappingStore({
    url: config.cappingRedisUrl,
    onError: (err) => {
      // ioredis reports every failed reconnect; one line per 10 s is enough.
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      logger.warn({ err: err.message }, "capping store (Redis) connection error");
    },
  });
}

export async function mountOffers(
  app: FastifyInstance,
  mount: OffersMount,
): Promise<{ close(): Promise<void> }> {
  const { config, logger, registry } = mount;
  const decisions = registry.counter(
    "odd_offer_decisions_total",
    "Offer decision requests answered, by HTTP status.",
    ["status"],
  );
  const cappingErrors = registry.counter(
    "odd_offer_capping_errors_total",
    "Capping counter store failures (capped offers then fail closed or open), by operation.",
    ["operation"],
  );
  const conflicts = registry.counter(
    "odd_offer_capping_conflicts_total",
    "Cap reservations refused because another request took the last units first.",
  );
  const syncErrors = registry.counter(
    "odd_offer_catalog_sync_errors_total",
    "Failed polls of the repository change feed.",
  );
  const sync = createCatalogSync(mount.feed, {
    onError: (err) => {
      syncErrors.inc();
      logger.warn({ err }, "offer catalog sync failed; retrying");
    },
  });
  await sync.start();
  const capping = cappingStore(config, logger);
  const profiles = createMemoryProfileStore(
    config.profilesFile ? parseProfileLines(readProfilesFile(config.profilesFile)) : [],
  );
  const fixed = config.fixedTime;
  const runtime = createOfferRuntime({
    indexes: sync,
    capping,
    cappingFailure: config.cappingFailure,
    profiles,
    ...(fixed !== undefined ? { now: () => fixed } : {}),
    ...(config.randomSeed !== undefined ? { randomSeed: config.randomSeed } : {}),
    onCappingError: (err: DecisioningError, operation) => {
      cappingErrors.inc({ operation });
      logger.warn(
        { code: err.code, err: err.message, operation, failure: config.cappingFailure },
        "capping store unavailable",
      );
    },
    onCapConflict: () => conflicts.inc(),
  });
  await app.register(offersPlugin, {
    runtime,
    hooks: mount.hooks,
    bodyLimit: mount.bodyLimit,
    onDecision: (status) => decisions.inc({ status: String(status) }),
  });
  logger.info(
    {
      capping: capping.kind,
      cappingFailure: config.cappingFailure,
      profiles: profiles.size,
      randomSeed: config.randomSeed !== undefined,
      fixedTime: fixed !== undefined ? new Date(fixed).toISOString() : undefined,
      containers: [...sync.all()].length,
    },
    "offer decisioning mounted",
  );
  return {
    close: async () => {
      sync.stop();
      await capping.close();
    },
  };
}
