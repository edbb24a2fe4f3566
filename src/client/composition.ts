/**
 * Composition: turns validated options into the parts of one client (HTTP, Delivery API, geo,
 * notification queue, telemetry, artifact manager) and wires their callbacks. The only place that
 * picks default adapters.
 */
import { createArtifactManager } from "../artifact/manager";
import { compileArtifact, type CompiledArtifact } from "../engine/compile";
import { createSafeLogger, type SafeLogger } from "../logger";
import { performanceNow } from "../platform/clock";
import { systemScheduler, type Scheduler } from "../platform/scheduler";
import type { Geo, TelemetryEntry } from "../protocol/delivery";
import { createDeliveryClient } from "../remote/delivery-client";
import { createGeoResolver } from "../remote/geo";
import { createNotificationQueue } from "../remote/notification-queue";
import { createTelemetryStore, type TelemetryStore } from "../remote/telemetry";
import { EventHub } from "./events";
import { resolveOptions, type ClientOptions, type ResolvedOptions } from "./options";
import type { ClientPlatform } from "./platform";
import { sendNotificationBatch } from "./remote-calls";
import { usesArtifact, type ClientRuntime, type ClientState } from "./runtime";

/** Validates the options (throwing for what cannot be defaulted) and creates every part on `platform`. */
export function createRuntime(input: ClientOptions, platform: ClientPlatform): ClientRuntime {
  const log = createSafeLogger(input && typeof input === "object" ? input.logger : undefined);
  const options = resolveOptions(input, log);
  const events = new EventHub(log, options.events as Record<string, unknown> | undefined);
  const scheduler = options.scheduler ?? systemScheduler;
  const http = options.fetchApi ? { fetch: options.fetchApi, close: undefined } : platform.createFetch();
  const telemetry = createTelemetryStore({ enabled: options.telemetryEnabled });
  const state: ClientState = {
    locationHint: options.targetLocationHint,
    closing: undefined,
    firstArtifactMeta: undefined,
    serverSideReady: false,
    conditionsOverBudget: 0,
  };
  const common = { fetch: http.fetch, scheduler, logger: log };
  const runtime: ClientRuntime = {
    options,
    log,
    events,
    scheduler,
    fetch: http.fetch,
    closeFetch: http.close,
    backgroundWork: platform.backgroundWork !== false,
    telemetry,
    delivery: createDeliveryClient({
      ...common,
      client: options.client,
      organizationId: options.organizationId,
      timeout: options.timeout,
      retries: options.retries,
      secure: options.secure,
      serverDomain: options.serverDomain,
      version: options.version,
    }),
    geo: createGeoResolver({
      ...common,
      timeout: options.geoLookupTimeout,
      cacheSize: options.geoCacheSize,
      resolver: options.geoResolver,
      onUpdate: (geo: Geo) => events.emit("geoLocationUpdated", { geoContext: geo }),
    }),
    queue: createNotificationQueue({
      send: (batch) => sendNotificationBatch(runtime, batch.request, batch.sessionId),
      scheduler,
      logger: log,
      batchSize: options.notificationBatchSize,
      flushInterval: options.notificationFlushInterval,
      retries: options.notificationRetries,
      maxQueued: options.notificationMaxQueued,
      concurrency: options.notificationConcurrency,
      maxQueuedBytes: options.notificationMaxQueuedBytes,
      retryUntilDelivered: options.notificationRetryUntilDelivered === true,
      ...(options.notificationSpool ? { spool: options.notificationSpool } : {}),
      telemetryEnabled: options.telemetryEnabled,
      takeTelemetry: () => telemetry.take(),
      onError: (error, payload) =>
        events.emit("sendNotificationError", { notification: { request: payload }, error }),
    }),
    manager: usesArtifact(options.decisioningMethod)
      ? createManager(options, { ...common, events, telemetry, platform })
      : undefined,
    state,
  };
  return runtime;
}

interface ManagerPorts {
  fetch: ClientRuntime["fetch"];
  scheduler: Scheduler;
  logger: SafeLogger;
  events: EventHub;
  telemetry: TelemetryStore;
  platform: ClientPlatform;
}

function createManager(o: ResolvedOptions, ports: ManagerPorts) {
  return createArtifactManager<CompiledArtifact>({
    client: o.client,
    organizationId: o.organizationId,
    environment: o.environment,
    propertyToken: o.propertyToken,
    artifactLocation: o.artifactLocation,
    artifactFormat: o.artifactFormat,
    artifactPayload: o.artifactPayload,
    artifactSource: o.artifactSource,
    pollingInterval: o.pollingInterval,
    downloadTimeout: o.artifactDownloadTimeout,
    maximumArtifactSize: o.maximumArtifactSize,
    maximumArtifactAge: o.maximumArtifactAge,
    artifactCache: o.artifactCache,
    watchFile: o.watchArtifactFile,
    fetch: ports.fetch,
    fileSource: ports.platform.fileSource,
    directoryStorage: ports.platform.directoryStorage,
    retryUntilLoaded: ports.platform.backgroundWork !== false,
    awaitCacheWrites: ports.platform.backgroundWork === false,
    scheduler: ports.scheduler,
    logger: ports.logger,
    compile: compileArtifact,
    emit: (type, payload) => ports.events.emit(type, payload),
    recordTelemetry: (entry: TelemetryEntry) => ports.telemetry.add(entry),
    performanceNow,
  });
}

/**
 * Starts the client: an on-device or hybrid client starts loading its artifact (and, with no
 * location hint configured and background work allowed, asks the edge for one through
 * `pingLocationHint`); a server-side client
 * signals readiness on the next turn of the event loop.
 */
export function startRuntime(runtime: ClientRuntime, pingLocationHint: () => void): void {
  const { manager, events, state } = runtime;
  if (!manager) {
    runtime.scheduler.setTimeout(() => {
      state.serverSideReady = true;
      if (!state.closing) events.emit("clientReady");
    }, 0);
    return;
  }
  const stop = manager.onUpdate((loaded) => {
    stop();
    state.firstArtifactMeta = { ...(loaded.artifact.meta ?? {}) };
    events.emit("clientReady");
  });
  manager.start();
  if (!runtime.options.targetLocationHint && runtime.backgroundWork) pingLocationHint();
}

/**
 * Stops polling, flushes queued notifications (until `deadline`, scheduler time, when given: what is
 * still unsent then is spooled or counted lost), aborts in-flight calls, releases sockets.
 */
export async function closeRuntime(runtime: ClientRuntime, deadline?: number): Promise<void> {
  const { log } = runtime;
  await runtime.manager?.close().catch((err: unknown) => log.error("artifact close failed", err));
  await runtime.queue
    .close(deadline !== undefined ? { deadline } : {})
    .catch((err: unknown) => log.error("notification flush failed", err));
  runtime.delivery.close();
  await runtime.closeFetch?.().catch(() => undefined);
}
