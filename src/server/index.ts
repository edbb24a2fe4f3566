/**
 * The decisioning service: a TargetClient behind the Delivery API endpoint. `startService` wires
 * configuration, logging, outbound HTTP, metrics and the fastify app, and listens; `close()` stops
 * accepting, lets in-flight requests finish, then closes the client (which flushes queued
 * notifications) and releases the outbound connection pool.
 *
 * @example
 * ```ts
 * import { resolveServerConfig, startService } from "on-device-decisioning/server";
 * const service = await startService(resolveServerConfig({ port: "0" }, process.env));
 * console.log(service.url); // POST `${service.url}/rest/v1/delivery`
 * await service.close();
 * ```
 */
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { TargetClient } from "../client";
import type { ClientOptions } from "../client";
import { createAdminRuntime, openAdminStore, registerAdminRoutes, type AdminRuntime } from "../admin/index";
import { requireBearerToken } from "./auth";
import { createPublishedArtifactSource } from "./published-source";
import type { FetchLike } from "../platform/http";
import { buildApp, type ServicePlugin } from "./app";
import type { ServerConfig } from "./config";
import { clientLogger, createLogger, type PinoLogger } from "./logging";
import { createServiceMetrics, type ServiceMetrics } from "./metrics";
import { applyConnectionLimits } from "./limits";
import { createOutboundFetch } from "./outbound";
import { createConnectionDrain } from "./drain";
import { createShutdown, notificationOptions } from "./lifecycle";
import { mountRepository, type RepositoryMount } from "./repository-mount";
import { openDatabase, type Database } from "../storage/database";

export { buildApp, registerPlugin, type AppOptions, type DecisionClient, type ServicePlugin } from "./app";
export { resolveServerConfig, SETTINGS, type ServerConfig, type ConfigFlags, type ConfigEnv } from "./config";
export { createServiceMetrics, type ServiceMetrics } from "./metrics";
export { installShutdownHandlers, type ShutdownOptions } from "./shutdown";

export interface ServiceOptions {
  logger?: PinoLogger;
  /** The fetch under the outbound wrapper (tests); default: undici with a keep-alive pool. */
  fetch?: FetchLike;
  /** Extra TargetClient options (tests: scheduler, telemetry, ...). */
  clientOptions?: Partial<ClientOptions>;
  /**
   * ms to wait for the client to be ready before listening (a cluster worker: the port is shared,
   * so a worker still loading its artifact would take connections it cannot decide). Default 0.
   */
  readyBeforeListen?: number;
  /** Further APIs to serve beside the Delivery API (see ServicePlugin in ./app). */
  plugins?: readonly ServicePlugin<any>[];
  /** Serve the XCore repository too (`odd serve` always does; see src/server/repository-mount.ts). */
  repository?: RepositoryMount;
  /**
   * The Admin API's store and token. Default: the repository's store and token when it is mounted
   * (one store URL, one token for the service), else an in-memory store and no token.
   */
  admin?: { store?: string; apiToken?: string };
}

export interface Service {
  readonly app: FastifyInstance;
  readonly client: TargetClient;
  readonly metrics: ServiceMetrics;
  readonly logger: PinoLogger;
  readonly config: ServerConfig;
  /** The Admin API, its store and the publisher. */
  readonly admin: AdminRuntime;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful stop; idempotent. Resolves to the process exit code: 0, or 3 when notifications were
   * lost (neither sent nor spooled).
   */
  close(): Promise<number>;
}

function describeUpstream(upstream: ServerConfig["upstream"]): string {
  if (upstream === "off") return "off";
  return upstream ? upstream.origin + upstream.pathname.replace(/\/+$/, "") : "adobe-edge";
}

/**
 * The database the repository and the Admin API share when they use the same store URL (the
 * default: the Admin API keeps its tables next to the repository's): one SQLite connection or one
 * PostgreSQL pool for both, closed after both stores.
 */
async function openSharedDatabase(options: ServiceOptions): Promise<Database | undefined> {
  const store = options.repository?.config.store;
  const adminStore = options.admin?.store ?? store;
  if (store === undefined || adminStore !== store || store === "memory:") return undefined;
  return openDatabase(store);
}

/** The Admin API runtime: its store (the repository's by default) and the publisher, all published once. */
async function createServiceAdmin(
  config: ServerConfig,
  options: ServiceOptions,
  logger: PinoLogger,
  database: Database | undefined,
): Promise<AdminRuntime> {
  const admin = createAdminRuntime({
    store: await openAdminStore(
      database ?? options.admin?.store ?? options.repository?.config.store ?? "memory:",
    ),
    publisher: {
      logger,
      // This service's own client decodes rules.bin with its organization id.
      organizationIdFor: (tenant) =>
        tenant === config.client ? config.organizationId : `${tenant.toUpperCase()}@AdobeOrg`,
    },
  });
  await admin.publishAll();
  return admin;
}

/** Without --artifact the service decides from what it publishes for its client (the sample until then). */
function artifactOrigin(
  config: ServerConfig,
  admin: AdminRuntime,
): Pick<ClientOptions, "artifactSource" | "artifactLocation"> {
  if (!config.artifactIsSample) return { artifactLocation: config.artifact };
  const artifactSource = createPublishedArtifactSource({
    service: admin.service,
    publisher: admin.publisher,
    client: config.client,
    fallback: () => readFile(config.artifact, "utf8"),
  });
  return { artifactSource };
}

/** The service's TargetClient: configured from the server config, HTTP through the outbound fetch. */
function createServiceClient(
  config: ServerConfig,
  options: ServiceOptions,
  logger: PinoLogger,
  fetchApi: FetchLike,
  admin: AdminRuntime,
) {
  const isFile = !/^https?:/i.test(config.artifact);
  const client = TargetClient.create({
    ...notificationOptions(config),
    client: config.client,
    organizationId: config.organizationId,
    decisioningMethod: config.decisioningMethod,
    ...artifactOrigin(config, admin),
    watchArtifactFile: isFile,
    fetchApi,
    logger: clientLogger(logger),
    ...(config.pollingInterval !== undefined ? { pollingInterval: config.pollingInterval } : {}),
    ...(config.notificationFlushInterval !== undefined
      ? { notificationFlushInterval: config.notificationFlushInterval }
      : {}),
    notificationConcurrency: config.notificationConcurrency,
    ...(config.upstream instanceof URL
      ? { serverDomain: config.upstream.host, secure: config.upstream.protocol === "https:" }
      : {}),
    ...options.clientOptions,
  });
  client.on("clientReady", () => {
    const artifact = client.status().artifact;
    logger.info({ artifactVersion: artifact?.version, source: artifact?.source }, "client ready");
  });
  client.on("artifactUpdated", (event) =>
    logger.info({ version: event.version, source: event.source }, "artifact updated"),
  );
  return client;
}

function logListening(logger: PinoLogger, config: ServerConfig, url: string, port: number): void {
  logger.info(
    {
      url,
      port,
      client: config.client,
      decisioningMethod: config.decisioningMethod,
      artifact: config.artifact.replace(/[?#].*$/, ""),
      upstream: describeUpstream(config.upstream),
      bodyLimit: config.bodyLimit,
    },
    "listening",
  );
  if (config.upstream === "off") {
    logger.info("upstream is off: remote decisions fail; no notifications or telemetry are produced");
  }
}

export async function startService(config: ServerConfig, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // The metrics need the client, the client needs the fetch: the fetch reports through this holder.
  const holder: { metrics?: ServiceMetrics } = {};
  const outbound = createOutboundFetch({
    upstream: config.upstream,
    thread: config.outboundThread,
    onRequest: (endpoint, outcome) => holder.metrics?.outbound(endpoint, outcome),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const database = await openSharedDatabase(options);
  const admin = await createServiceAdmin(config, options, logger, database);
  const client = createServiceClient(config, options, logger, outbound.fetch, admin);
  const metrics = createServiceMetrics(client);
  holder.metrics = metrics;
  const app = buildApp({
    client,
    clientCode: config.client,
    organizationId: config.organizationId,
    logger,
    metrics,
    bodyLimit: config.bodyLimit,
    accessLog: config.accessLog,
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  await registerAdminRoutes(app, admin, {
    authenticate: requireBearerToken(options.admin?.apiToken ?? options.repository?.auth.apiToken),
  });

  applyConnectionLimits(app.server, config, (count) =>
    logger.warn(
      { refused: count, maxConnections: config.maxConnections },
      "connection limit reached: connections refused",
    ),
  );

  const repository = options.repository
    ? await mountRepository(app, options.repository, config, logger, metrics.registry, database).catch(
        async (err: unknown) => {
          await client.close().catch(() => undefined);
          await outbound.close().catch(() => undefined);
          await admin.close().catch(() => undefined);
          await database?.close().catch(() => undefined);
          throw err;
        },
      )
    : undefined;

  const connections = createConnectionDrain(app.server);
  const shutdown = createShutdown({
    app,
    connections,
    client,
    outbound,
    stores: [
      ...(repository ? [{ name: "repository store", close: () => repository.close() }] : []),
      { name: "admin store", close: () => admin.close() },
      ...(database ? [{ name: "shared database", close: () => database.close() }] : []),
    ],
    logger,
    timeout: config.shutdownTimeout,
  });
  if (options.readyBeforeListen) {
    await client.ready({ timeout: options.readyBeforeListen }).catch((err: unknown) => {
      logger.warn(
        { code: (err as { code?: string }).code },
        "not ready yet; listening anyway (/ready answers 503)",
      );
    });
  }
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logListening(logger, config, url, port);
  return { app, client, metrics, logger, config, admin, url, port, close: shutdown };
}
