import { createArtifactManager, type ArtifactManager, type LoadedArtifact } from "./artifact/manager";
import { createAttributes, withAttributeMboxes, type Attributes } from "./attributes";
import { compileArtifact, type CompiledArtifact } from "./engine/compile";
import { decide, validateDecisionRequest } from "./engine/decide";
import { remoteDependency, type RemoteDependency } from "./engine/remote-dependency";
import type { CustomerId, DeliveryRequest, DeliveryResponse, Geo, TelemetryEntry } from "./engine/types";
import { DecisioningError, toDecisioningError } from "./errors";
import { EventHub } from "./events";
import { mergeResponses, splitRequest } from "./hybrid";
import { createSafeLogger, type SafeLogger } from "./logger";
import { resolveOptions, type ClientOptions, type DecisioningMethod, type EventListener, type ResolvedOptions } from "./options";
import { createDefaultFetch, randomId } from "./platform/defaults";
import type { FetchLike } from "./platform/http";
import { systemScheduler, type Scheduler } from "./platform/scheduler";
import { normalizeRequest, validateGetOffersOptions, validateSendNotificationsOptions } from "./request";
import { collectDetails, type ArtifactFreshness, type GetOffersResult, type ResultMeta } from "./result";
import {
  clusterFromEdgeHost,
  clusterFromTntId,
  createLocationHintCookie,
  createTargetCookie,
  LOCATION_HINT_COOKIE_NAME,
  parseTargetCookie,
  parseVisitorCookie,
  TARGET_COOKIE_NAME,
  visitorCookieName,
} from "./remote/cookies";
import { createDeliveryClient, type DeliveryClient } from "./remote/delivery-client";
import { createGeoResolver, type GeoResolver } from "./remote/geo";
import { createNotificationQueue, type NotificationQueue } from "./remote/notification-queue";
import { createTelemetryStore, telemetryEntryFor, type TelemetryStore } from "./remote/telemetry";

/** Options of getOffers (reference-compatible, plus the Python SDK's callbacks). */
export interface GetOffersOptions {
  request: DeliveryRequest;
  visitorCookie?: string;
  targetCookie?: string;
  targetLocationHint?: string;
  consumerId?: string;
  customerIds?: Record<string, { id?: string; authState?: number } | string>;
  sessionId?: string;
  decisioningMethod?: DecisioningMethod;
  callback?: (result: GetOffersResult) => void;
  errCallback?: (error: DecisioningError) => void;
  [key: string]: unknown;
}

export interface ReadyOptions {
  /** ms; rejects with ODE_ERR_READY_TIMEOUT when elapsed. Default: `maximumWaitReady`, else no limit. */
  timeout?: number;
}

export interface ClientStatus {
  ready: boolean;
  closed: boolean;
  decisioningMethod: DecisioningMethod;
  artifact?: ArtifactFreshness;
  fresh: boolean;
  notifications: ReturnType<NotificationQueue["stats"]>;
}

interface CallContext {
  now: number;
  deviceId: string | undefined;
  cluster: string | undefined;
  sessionId: string;
  /** The session id came from the mbox cookie or the sessionId option (not generated here). */
  sessionSupplied: boolean;
}

const AUTH_STATES: Record<string, string> = { "0": "unknown", "1": "authenticated", "2": "logged_out" };
const INTERNAL = Symbol("TargetClient.internal");

function hasEngine(method: DecisioningMethod): boolean {
  return method === "on-device" || method === "hybrid";
}

function performanceNow(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

function convertCustomerIds(input: GetOffersOptions["customerIds"]): CustomerId[] | undefined {
  if (!input || typeof input !== "object") return undefined;
  const out: CustomerId[] = [];
  for (const [integrationCode, value] of Object.entries(input)) {
    if (!value) continue;
    if (typeof value === "object") {
      out.push({
        ...(value.id ? { id: value.id } : {}),
        ...(integrationCode ? { integrationCode } : {}),
        ...(AUTH_STATES[String(value.authState)] ? { authenticatedState: AUTH_STATES[String(value.authState)] } : {}),
      });
    } else {
      out.push({ id: String(value), integrationCode, authenticatedState: "unknown" });
    }
  }
  return out.length > 0 ? out : undefined;
}

function supplementalDataId(): string {
  const hex = randomId().toUpperCase();
  return `${hex.slice(0, 16)}-${hex.slice(16, 32)}`;
}

/**
 * The drop-in replacement for `@adobe/target-nodejs-sdk`'s TargetClient: create it with
 * `TargetClient.create(options)`, wait with `await client.ready()`, decide with `getOffers`, and
 * release every timer, socket and queued notification with `await client.close()`.
 */
export class TargetClient {
  static readonly TargetCookieName = TARGET_COOKIE_NAME;
  static readonly TargetLocationHintCookieName = LOCATION_HINT_COOKIE_NAME;
  static readonly AuthState = Object.freeze({ UNKNOWN: 0, AUTHENTICATED: 1, LOGGED_OUT: 2 });
  static getVisitorCookieName(organizationId: string): string {
    return visitorCookieName(organizationId);
  }

  /** Creates a client synchronously; readiness is signalled by `clientReady` and `ready()`. */
  static create(options: ClientOptions): TargetClient {
    return new TargetClient(INTERNAL, options);
  }

  readonly #options: ResolvedOptions;
  readonly #log: SafeLogger;
  readonly #events: EventHub;
  readonly #scheduler: Scheduler;
  readonly #fetch: FetchLike;
  readonly #closeFetch: (() => Promise<void>) | undefined;
  readonly #delivery: DeliveryClient;
  readonly #queue: NotificationQueue;
  readonly #geo: GeoResolver;
  readonly #telemetry: TelemetryStore;
  readonly #manager: ArtifactManager<CompiledArtifact> | undefined;
  #targetLocationHint: string | undefined;
  #closing: Promise<void> | undefined;
  #firstArtifactMeta: Record<string, unknown> | undefined;
  #serverSideReady = false;

  constructor(token: symbol, options: ClientOptions) {
    if (token !== INTERNAL) throw new Error("Please use TargetClient.create static method instead");
    const log = createSafeLogger(options && typeof options === "object" ? options.logger : undefined);
    const o = resolveOptions(options, log);
    this.#options = o;
    this.#log = log;
    this.#events = new EventHub(log, o.events as Record<string, unknown> | undefined);
    this.#scheduler = o.scheduler ?? systemScheduler;
    if (o.fetchApi) {
      this.#fetch = o.fetchApi;
    } else {
      const def = createDefaultFetch();
      this.#fetch = def.fetch;
      this.#closeFetch = def.close;
    }
    this.#targetLocationHint = o.targetLocationHint;
    this.#telemetry = createTelemetryStore({ enabled: o.telemetryEnabled });
    this.#delivery = createDeliveryClient({
      client: o.client,
      organizationId: o.organizationId,
      fetch: this.#fetch,
      scheduler: this.#scheduler,
      logger: log,
      timeout: o.timeout,
      retries: o.retries,
      secure: o.secure,
      serverDomain: o.serverDomain,
      version: o.version,
    });
    this.#geo = createGeoResolver({
      fetch: this.#fetch,
      scheduler: this.#scheduler,
      logger: log,
      timeout: o.geoLookupTimeout,
      cacheSize: o.geoCacheSize,
      resolver: o.geoResolver,
      onUpdate: (geo: Geo) => this.#events.emit("geoLocationUpdated", { geoContext: geo }),
    });
    this.#queue = createNotificationQueue({
      send: (batch) => this.#sendBatch(batch.request, batch.sessionId),
      scheduler: this.#scheduler,
      logger: log,
      batchSize: o.notificationBatchSize,
      flushInterval: o.notificationFlushInterval,
      retries: o.notificationRetries,
      maxQueued: o.notificationMaxQueued,
      concurrency: o.notificationConcurrency,
      telemetryEnabled: o.telemetryEnabled,
      takeTelemetry: () => this.#telemetry.take(),
      onError: (error, payload) => this.#events.emit("sendNotificationError", { notification: { request: payload }, error }),
    });

    if (hasEngine(o.decisioningMethod)) {
      this.#manager = createArtifactManager<CompiledArtifact>({
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
        fetch: this.#fetch,
        scheduler: this.#scheduler,
        logger: log,
        compile: compileArtifact,
        emit: (type, payload) => this.#events.emit(type, payload),
        recordTelemetry: (entry: TelemetryEntry) => this.#telemetry.add(entry),
        performanceNow,
      });
      let first = true;
      this.#manager.onUpdate((loaded) => {
        if (first) {
          first = false;
          this.#firstArtifactMeta = { ...(loaded.artifact.meta ?? {}) };
          this.#events.emit("clientReady");
        }
      });
      this.#manager.start();
      if (!o.targetLocationHint) this.#pingLocationHint();
    } else {
      this.#scheduler.setTimeout(() => {
        this.#serverSideReady = true;
        if (!this.#closing) this.#events.emit("clientReady");
      }, 0);
    }
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on(type: string, listener: EventListener): () => void {
    return this.#events.on(type, listener);
  }

  /** Resolves when the client can decide (artifact loaded for on-device/hybrid). */
  ready(options: ReadyOptions = {}): Promise<void> {
    if (this.#closing) return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The client is closed"));
    const manager = this.#manager;
    if (!manager) return Promise.resolve();
    const timeout = options.timeout ?? this.#options.maximumWaitReady;
    const readyPromise = manager.whenReady().then(() => undefined);
    if (timeout === undefined) return readyPromise;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#scheduler.setTimeout(
        () => reject(new DecisioningError("ODE_ERR_READY_TIMEOUT", `The client was not ready within ${timeout} ms`)),
        timeout,
      );
      readyPromise.then(
        () => {
          timer.cancel();
          resolve();
        },
        (err) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  /** Current state: readiness, the artifact in use and its age, the notification queue. */
  status(): ClientStatus {
    const loaded = this.#manager?.current();
    return {
      ready: this.#manager ? this.#manager.isReady() : this.#serverSideReady,
      closed: this.#closing !== undefined,
      decisioningMethod: this.#options.decisioningMethod,
      ...(loaded ? { artifact: this.#freshness(loaded) } : {}),
      fresh: this.#manager ? this.#manager.isFresh(this.#scheduler.now()) : true,
      notifications: this.#queue.stats(),
    };
  }

  /** Sends every queued notification now. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Stops polling, aborts in-flight calls, flushes queued notifications, releases sockets. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#manager?.close().catch((err: unknown) => this.#log.error("artifact close failed", err));
      await this.#queue.close().catch((err: unknown) => this.#log.error("notification flush failed", err));
      this.#delivery.close();
      await this.#closeFetch?.().catch(() => undefined);
    })();
    return this.#closing;
  }

  getOffers(options: GetOffersOptions): Promise<GetOffersResult> {
    const run = this.#getOffers(options);
    const { callback, errCallback } = (options ?? {}) as GetOffersOptions;
    if (typeof callback !== "function" && typeof errCallback !== "function") return run;
    return run.then(
      (result) => {
        if (typeof callback === "function") safeCall(() => callback(result), this.#log);
        return result;
      },
      (err: unknown) => {
        const error = toDecisioningError(err);
        if (typeof errCallback === "function") {
          safeCall(() => errCallback(error), this.#log);
          return undefined as unknown as GetOffersResult;
        }
        throw error;
      },
    );
  }

  async getAttributes(mboxNames: string[], options?: Partial<GetOffersOptions> | null): Promise<Attributes> {
    const opts = options && typeof options === "object" ? options : {};
    const base = opts.request ?? { context: { channel: "web" } };
    const request = withAttributeMboxes(base, Array.isArray(mboxNames) ? mboxNames : []);
    const result = await this.getOffers({ ...opts, request } as GetOffersOptions);
    // With an errCallback, getOffers already reported the failure and resolved to undefined: so do we.
    return result === undefined ? (undefined as unknown as Attributes) : createAttributes(result);
  }

  async sendNotifications(options: Omit<GetOffersOptions, "decisioningMethod">): Promise<GetOffersResult> {
    this.#assertOpen();
    validateSendNotificationsOptions(options, this.#telemetry.size > 0);
    const call = this.#callContext(options as GetOffersOptions);
    const request = this.#normalize(options as GetOffersOptions, call);
    const delivered = this.#queue.enqueueAndWait({
      request: { id: request.id, context: request.context, experienceCloud: request.experienceCloud, property: request.property },
      sessionId: call.sessionId,
      notifications: request.notifications ?? [],
    });
    void this.#queue.flush();
    await delivered; // rejects with ODE_ERR_NOTIFICATION_FAILED when the batch is given up, as the reference rejects
    return this.#result(request, { status: 200, id: request.id }, call, "server-side", undefined);
  }

  // ------------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closing) throw new DecisioningError("ODE_ERR_CLOSED", "The client is closed");
  }

  #callContext(options: GetOffersOptions): CallContext {
    const now = this.#scheduler.now();
    const cookies = parseTargetCookie(options.targetCookie, now);
    const hint = options.targetLocationHint || this.#targetLocationHint;
    const cluster = clusterFromTntId(cookies.PC) ?? (hint || undefined);
    const supplied = cookies.session || (options.sessionId ? String(options.sessionId) : "");
    const sessionId = supplied || randomId();
    return { now, deviceId: cookies.PC, cluster, sessionId, sessionSupplied: supplied !== "" };
  }

  #normalize(options: GetOffersOptions, call: CallContext): DeliveryRequest {
    const visitor = parseVisitorCookie(options.visitorCookie);
    const request = options.request;
    const token = (request.property && request.property.token) || this.#options.propertyToken;
    const withProperty = token ? { ...request, property: { ...(request.property ?? {}), token } } : request;
    const locationHint = visitor.MCAAMLH !== undefined ? parseInt(visitor.MCAAMLH, 10) : undefined;
    return normalizeRequest(
      withProperty,
      {
        deviceId: call.deviceId,
        marketingCloudVisitorId: visitor.MCMID,
        customerIds: convertCustomerIds(options.customerIds),
        supplementalDataId: supplementalDataId(),
        audienceManager:
          visitor.MCMID || visitor.MCAAMB || locationHint !== undefined
            ? {
                ...(locationHint !== undefined && !Number.isNaN(locationHint) ? { locationHint } : {}),
                ...(visitor.MCAAMB ? { blob: visitor.MCAAMB } : {}),
              }
            : undefined,
        environmentId: this.#options.environmentId,
        requestId: randomId(),
      },
      this.#log,
    );
  }

  #freshness(loaded: LoadedArtifact<CompiledArtifact>): ArtifactFreshness {
    return {
      version: loaded.version,
      ...(loaded.generatedAt !== undefined ? { generatedAt: loaded.generatedAt } : {}),
      ...(loaded.etag !== undefined ? { etag: loaded.etag } : {}),
      retrievedAt: loaded.retrievedAt,
      ageMs: Math.max(0, this.#scheduler.now() - loaded.retrievedAt),
      source: loaded.source,
    };
  }

  #traceArtifact(loaded: LoadedArtifact<CompiledArtifact>): Record<string, unknown> {
    return {
      artifactLocation: loaded.source === "payload" ? "Not Applicable" : loaded.location,
      pollingInterval: this.#options.pollingInterval,
      pollingHalted: false,
      artifactVersion: loaded.version,
      artifactRetrievalCount: loaded.retrievalCount,
      artifactLastRetrieved: new Date(loaded.retrievedAt).toISOString(),
      ...(this.#firstArtifactMeta ?? loaded.artifact.meta ?? {}),
    };
  }

  async #getOffers(options: GetOffersOptions): Promise<GetOffersResult> {
    this.#assertOpen();
    validateGetOffersOptions(options);
    const started = performanceNow();
    const method = options.decisioningMethod ?? this.#options.decisioningMethod;
    if (!["on-device", "server-side", "hybrid"].includes(method)) {
      throw new DecisioningError("ODE_ERR_INVALID_REQUEST", `Invalid decisioningMethod: ${String(method)}`);
    }
    const call = this.#callContext(options);
    const request = this.#normalize(options, call);
    const parsing = performanceNow() - started;

    const loaded = this.#manager?.current();
    let usable = loaded;
    if (loaded && this.#options.maximumArtifactAge !== undefined && !this.#manager!.isFresh(call.now)) usable = undefined;
    let effective: DecisioningMethod = method;
    if (hasEngine(method) && !usable) {
      if (method === "hybrid") {
        effective = "server-side";
      } else if (loaded) {
        throw new DecisioningError("ODE_ERR_ARTIFACT_STALE", "Unable to fulfill request; the decisioning artifact is too old.");
      } else {
        throw new DecisioningError("ODE_ERR_NOT_READY", "Unable to fulfill request; decisioning engine not ready.");
      }
    }
    if (effective === "server-side") {
      const response = await this.#remote(request, call, started, "server-side");
      const dependency = loaded ? remoteDependency(loaded.compiled, request) : undefined;
      // meta.artifact also on remote answers: it tells why a hybrid call went remote (e.g. too old).
      return this.#result(request, response, call, "server-side", dependency, loaded);
    }
    const compiled = usable!.compiled;
    if (!compiled.versionSupported) {
      throw new DecisioningError(
        "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
        `The decisioning artifact version (${compiled.version}) is not supported. This library is compatible with this major version: 1`,
      );
    }
    const dependency = remoteDependency(compiled, request);
    if (effective === "on-device" || !dependency.remoteNeeded) {
      const geo = this.#geoFor(request, compiled);
      const local = this.#decideLocally(request, usable!, call, options, geo instanceof Promise ? await geo : geo, dependency);
      this.#recordLocal(request, local, started, parsing, "on-device");
      return this.#result(request, local, call, "on-device", dependency, usable);
    }
    if (this.#options.hybridMode === "whole") {
      const response = await this.#remote(request, call, started, "server-side");
      return this.#result(request, response, call, "server-side", dependency, usable);
    }
    return this.#hybrid(request, dependency, usable!, call, options, started, parsing);
  }

  async #hybrid(
    request: DeliveryRequest,
    dependency: RemoteDependency,
    loaded: LoadedArtifact<CompiledArtifact>,
    call: CallContext,
    options: GetOffersOptions,
    started: number,
    parsing: number,
  ): Promise<GetOffersResult> {
    const split = splitRequest(request, dependency);
    const geo = this.#geoFor(split.local, loaded.compiled);
    const local = this.#decideLocally(split.local, loaded, call, options, geo instanceof Promise ? await geo : geo);
    let remote: DeliveryResponse | undefined;
    let remoteError: DecisioningError | undefined;
    if (split.remote) {
      try {
        // Same request id and visitor ids as the local part (a generated tntId included).
        remote = await this.#remote({ ...split.remote, id: local.id }, call, started, "server-side");
      } catch (err) {
        remoteError = toDecisioningError(err);
        this.#log.warn("hybrid: the remote part failed; returning the local part", remoteError.code);
      }
    }
    const merged = mergeResponses(request, dependency, local, remote);
    this.#recordLocal(split.local, local, started, parsing, "on-device");
    const result = this.#result(request, merged, call, "hybrid", dependency, loaded);
    if (remoteError) {
      result.meta.remoteError = {
        code: remoteError.code,
        message: remoteError.message,
        ...(remoteError.status !== undefined ? { status: remoteError.status } : {}),
      };
    }
    return result;
  }

  /** Resolves the request's geo: synchronously when no IP lookup is needed (the common case). */
  #geoFor(request: DeliveryRequest, compiled: CompiledArtifact): Geo | undefined | Promise<Geo | undefined> {
    const geo = request.context?.geo as Geo | undefined;
    const prepared = this.#geo.prepare(geo, { lookup: compiled.geoTargetingEnabled });
    return prepared.lookup ? this.#geo.resolve(geo, { lookup: true }) : prepared.geo;
  }

  #decideLocally(
    request: DeliveryRequest,
    loaded: LoadedArtifact<CompiledArtifact>,
    call: CallContext,
    options: GetOffersOptions,
    geo: Geo | undefined,
    dependency?: RemoteDependency,
  ): DeliveryResponse {
    const compiled = loaded.compiled;
    const validated = validateDecisionRequest(
      request,
      options.targetLocationHint || this.#targetLocationHint,
      randomId,
      geo as Record<string, unknown> | undefined,
    );
    const decision = decide(compiled, validated, {
      client: this.#options.client,
      now: this.#scheduler.now(),
      uuid: randomId,
      sessionId: call.sessionId,
      traceArtifact: validated.trace !== undefined ? this.#traceArtifact(loaded) : undefined,
      ...(dependency ? { dependency } : {}),
    });
    if (decision.ruleErrors > 0) this.#log.debug(`${decision.ruleErrors} rule condition(s) threw and did not match`);
    const item = {
      request: {
        id: validated.id,
        context: validated.context,
        experienceCloud: validated.experienceCloud,
        ...(validated.property ? { property: validated.property } : {}),
      },
      sessionId: call.sessionId,
      batchKey: this.#batchKey(validated, call, options),
    };
    if (decision.notifications.length > 0) this.#queue.enqueue({ ...item, notifications: decision.notifications });
    else if (this.#options.telemetryEnabled) this.#queue.enqueueTelemetryOnly(item);
    const response: DeliveryResponse = decision.response;
    delete response.remoteMboxes;
    delete response.remoteViews;
    return response;
  }

  /**
   * Which notifications may share a Delivery request: same visitor ids, context and property, and
   * the same session / SDID when the caller supplied them. Values this client generated per call (a
   * new session id, a new SDID) do not split batches; the batch uses the first item's.
   */
  #batchKey(validated: DeliveryRequest, call: CallContext, options: GetOffersOptions): string {
    const analytics = (options.request?.experienceCloud as { analytics?: { supplementalDataId?: unknown } } | undefined)
      ?.analytics;
    return JSON.stringify([
      call.sessionSupplied ? call.sessionId : null,
      analytics?.supplementalDataId ?? null,
      validated.id ?? null,
      validated.context ?? null,
      validated.property ?? null,
    ]);
  }

  #recordLocal(request: DeliveryRequest, response: DeliveryResponse, started: number, parsing: number, method: string) {
    if (!this.#telemetry.enabled) return;
    this.#telemetry.add(
      telemetryEntryFor({
        request,
        response,
        mode: "local",
        execution: performanceNow() - started,
        parsing,
        decisioningMethod: method,
        timestamp: this.#scheduler.now(),
      }),
    );
  }

  async #remote(
    request: DeliveryRequest,
    call: CallContext,
    started: number,
    method: string,
  ): Promise<DeliveryResponse> {
    const entries = this.#telemetry.take();
    const body = entries.length > 0 ? { ...request, telemetry: { entries } } : request;
    const result = await this.#delivery.deliver(body, { sessionId: call.sessionId, cluster: call.cluster });
    this.#telemetry.add(
      telemetryEntryFor({
        request,
        response: result.response,
        execution: performanceNow() - started,
        parsing: result.timing.parsing,
        decisioningMethod: method,
        timestamp: this.#scheduler.now(),
      }),
    );
    return result.response;
  }

  async #sendBatch(request: DeliveryRequest, sessionId: string | undefined): Promise<void> {
    const body: DeliveryRequest = { requestId: randomId(), ...request };
    const cluster = clusterFromTntId(body.id?.tntId) ?? (this.#targetLocationHint || undefined);
    const result = await this.#delivery.notify(body, { sessionId: sessionId ?? randomId(), cluster });
    if (this.#telemetry.enabled) {
      this.#telemetry.add(
        telemetryEntryFor({
          request: body,
          response: {},
          execution: result.timing.execution,
          decisioningMethod: "server-side",
          timestamp: this.#scheduler.now(),
        }),
      );
    }
  }

  #result(
    request: DeliveryRequest,
    response: DeliveryResponse,
    call: CallContext,
    method: DecisioningMethod,
    dependency: RemoteDependency | undefined,
    loaded?: LoadedArtifact<CompiledArtifact>,
  ): GetOffersResult {
    const meta: ResultMeta = {
      decisioningMethod: method,
      remoteMboxes: dependency?.remoteMboxes ?? (response.remoteMboxes as string[] | undefined) ?? [],
      remoteViews: dependency?.remoteViews ?? (response.remoteViews as string[] | undefined) ?? [],
    };
    delete response.remoteMboxes;
    delete response.remoteViews;
    if (loaded) meta.artifact = this.#freshness(loaded);
    const tntId = response.id?.tntId;
    const targetCookie = createTargetCookie({ sessionId: call.sessionId, tntId, nowMs: this.#scheduler.now() });
    const edgeCluster = clusterFromEdgeHost(response.edgeHost);
    const locationHintCookie = createLocationHintCookie(call.cluster ?? edgeCluster);
    // Only the server's edgeHost makes a cluster sticky for the whole client; a hint that came from
    // one visitor's cookie or call must not reroute every later call (the reference lets it).
    if (edgeCluster) this.#targetLocationHint = edgeCluster;
    const result: GetOffersResult = {
      visitorState: this.#visitorState(request),
      request,
      targetCookie,
      ...(locationHintCookie ? { targetLocationHintCookie: locationHintCookie } : {}),
      ...collectDetails(response),
      meta,
      response,
    };
    return result;
  }

  #visitorState(request: DeliveryRequest): Record<string, unknown> {
    const analytics = (request.experienceCloud?.analytics ?? {}) as { supplementalDataId?: string };
    const state: Record<string, unknown> = {};
    if (analytics.supplementalDataId) {
      state.sdid = { supplementalDataIDCurrent: analytics.supplementalDataId };
    }
    const customerIds = request.id?.customerIds;
    if (customerIds && customerIds.length > 0) {
      state.customerIDs = Object.fromEntries(
        customerIds.filter((c) => c.integrationCode).map((c) => [c.integrationCode, { id: c.id, authState: c.authenticatedState }]),
      );
    }
    return { [this.#options.organizationId]: state };
  }

  #pingLocationHint(): void {
    this.getOffers({
      sessionId: "ping123",
      decisioningMethod: "server-side",
      request: { context: { channel: "web" } },
    }).then(
      () => undefined,
      (err: unknown) => this.#log.debug("location hint request failed", toDecisioningError(err).code),
    );
  }
}

function safeCall(fn: () => void, log: SafeLogger): void {
  try {
    fn();
  } catch (err) {
    log.error("callback threw", err);
  }
}

