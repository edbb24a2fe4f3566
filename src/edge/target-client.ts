/**
 * The TargetClient of the edge entry: the same API as the Node client, shaped for isolates that
 * live across many short requests and may run nothing between them.
 *
 * - No background work: no polling timer, and no I/O before the first call (Workers forbid I/O at
 *   module scope, where a client is often created). The artifact is loaded by the first call
 *   (concurrent first calls share one load) and revalidated by a call that finds it
 *   older than `pollingInterval`, in the background of that call (single-flight; the call is
 *   answered from the artifact in use).
 * - Notifications a call produces are sent at the end of that call and the sending is handed to
 *   the call's (or the client's) `waitUntil`, so the response never waits for them. Without a
 *   waitUntil they are sent best effort; `await client.flush()` sends them explicitly.
 * - The artifact is compiled once per isolate and reused by every call.
 */
import type { ArtifactCacheStorage } from "../artifact/cache";
import { resolvePollingInterval } from "../artifact/settings";
import { createAttributes, withAttributeMboxes, type Attributes } from "../client/attributes";
import type { GetOffersOptions, ReadyOptions } from "../client/call-options";
import { resolveOptions, type ClientOptions, type EventListener } from "../client/options";
import type { GetOffersResult } from "../client/result";
import type { ClientStatus } from "../client/target-client";
import { locationKind } from "../artifact/url";
import { DecisioningError, toDecisioningError } from "../errors";
import { createSafeLogger } from "../logger";
import type { DeliveryRequest } from "../protocol/delivery";
import { EdgeCoreClient } from "./platform";
import type { WaitUntil } from "./wait-until";
import { TargetClientStatics } from "../client/sdk-statics";

/** Options of the edge TargetClient.create(): the Node client's, without file system features. */
export interface EdgeClientOptions extends Omit<ClientOptions, "artifactCache" | "watchArtifactFile"> {
  /** Warm-start storage (e.g. kvCacheStorage, webCacheStorage); there is no directory cache here. */
  artifactCache?: ArtifactCacheStorage;
  /**
   * Artifact age (ms) after which a call revalidates it in the background (ETag: usually a 304);
   * 0 = never. Default 300000. No timer is armed: only calls trigger it.
   */
  pollingInterval?: number;
  /** Where background work of every call goes unless the call passes its own (e.g. Vercel's waitUntil). */
  waitUntil?: WaitUntil;
}

/** Per call: the runtime's waitUntil for this request (Workers: `ctx.waitUntil.bind(ctx)`). */
export interface EdgeCallOptions {
  waitUntil?: WaitUntil;
}

export type EdgeGetOffersOptions = GetOffersOptions & EdgeCallOptions;

const noop = () => undefined;

/** The Node client's error for a call without an artifact, with the failed load as its cause. */
function notReady(err: unknown): DecisioningError {
  const cause = toDecisioningError(err);
  return new DecisioningError("ODE_ERR_NOT_READY", `Unable to fulfill request; the artifact could not be loaded (${cause.code}: ${cause.message})`, {
    cause,
    recoverable: true,
  });
}

const INTERNAL = Symbol("TargetClient.internal");

function withoutWaitUntil(options: EdgeGetOffersOptions): GetOffersOptions {
  const { waitUntil: _ignored, ...rest } = options;
  return rest as GetOffersOptions;
}

/** The call's waitUntil, else the client's. */
function pickWaitUntil(options: EdgeCallOptions | undefined, fallback: WaitUntil | undefined): WaitUntil | undefined {
  const own = options && typeof options === "object" ? options.waitUntil : undefined;
  return typeof own === "function" ? own : fallback;
}

export class TargetClient extends TargetClientStatics {

  /** Creates a client synchronously, without I/O (safe at module scope); the first call loads the artifact. */
  static create(options: EdgeClientOptions): TargetClient {
    return new TargetClient(INTERNAL, options);
  }

  readonly #createCore: () => EdgeCoreClient;
  #coreInstance: EdgeCoreClient | undefined;
  readonly #listeners: { type: string; listener: EventListener; off?: () => void }[] = [];
  readonly #waitUntil: WaitUntil | undefined;
  readonly #revalidateAfter: number;
  readonly #usesArtifact: boolean;
  #loading: Promise<void> | undefined;
  #revalidating = false;

  /** Validates the options now (throwing as the Node client does); the core client is created by the first call. */
  constructor(token: symbol, options: EdgeClientOptions) {
    super();
    if (token !== INTERNAL) throw new Error("Please use TargetClient.create static method instead");
    const log = createSafeLogger(options && typeof options === "object" ? options.logger : undefined);
    resolveOptions(options, log);
    const o = options;
    if (typeof o.artifactLocation === "string" && locationKind(o.artifactLocation) !== "http") {
      throw new DecisioningError("ODE_ERR_INVALID_OPTION", "artifactLocation must be an http(s) URL here (no file system)", {
        details: { option: "artifactLocation" },
      });
    }
    const { waitUntil, ...rest } = o;
    this.#waitUntil = typeof waitUntil === "function" ? waitUntil : undefined;
    this.#revalidateAfter = resolvePollingInterval(o.pollingInterval, log);
    this.#usesArtifact = (o.decisioningMethod ?? "on-device") !== "server-side";
    // The core never polls: this class decides when the artifact is loaded again.
    this.#createCore = () => EdgeCoreClient.create({ ...(rest as ClientOptions), pollingInterval: 0 });
  }

  get #core(): EdgeCoreClient {
    if (!this.#coreInstance) {
      const core = this.#createCore();
      this.#coreInstance = core;
      for (const entry of this.#listeners) entry.off = core.on(entry.type, entry.listener);
    }
    return this.#coreInstance;
  }

  /** Subscribes to an event (also before the first call); returns the unsubscribe function. */
  on(type: string, listener: EventListener): () => void {
    const entry: { type: string; listener: EventListener; off?: () => void } = { type, listener };
    this.#listeners.push(entry);
    if (this.#coreInstance) entry.off = this.#coreInstance.on(type, listener);
    return () => {
      entry.off?.();
      const i = this.#listeners.indexOf(entry);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Resolves once the artifact is loaded (loading it now if no load is in flight); rejects with the load's error. */
  ready(options: ReadyOptions = {}): Promise<void> {
    if (!this.#usesArtifact || this.#core.status().ready) return this.#core.ready(options);
    return Promise.race([this.#load(), this.#core.ready(options)]);
  }

  status(): ClientStatus {
    return this.#core.status();
  }

  /** Sends every queued notification now; resolves when they were sent. */
  flush(): Promise<void> {
    return this.#core.flush();
  }

  close(): Promise<void> {
    return this.#core.close();
  }

  async getOffers(options: EdgeGetOffersOptions): Promise<GetOffersResult> {
    const waitUntil = pickWaitUntil(options, this.#waitUntil);
    try {
      await this.#prepare(options, waitUntil);
    } catch (err) {
      const error = toDecisioningError(err);
      const errCallback = options && options.errCallback;
      if (typeof errCallback !== "function") throw error;
      errCallback(error);
      return undefined as unknown as GetOffersResult; // as the core does after an errCallback
    }
    try {
      return await this.#core.getOffers(withoutWaitUntil(options));
    } finally {
      this.#handOver(this.#core.flush(), waitUntil);
    }
  }

  async getAttributes(mboxNames: string[], options?: Partial<EdgeGetOffersOptions> | null): Promise<Attributes> {
    const opts = options && typeof options === "object" ? options : {};
    const base = opts.request ?? { context: { channel: "web" } };
    const request = withAttributeMboxes(base as DeliveryRequest, Array.isArray(mboxNames) ? mboxNames : []);
    const result = await this.getOffers({ ...opts, request } as EdgeGetOffersOptions);
    // With an errCallback, getOffers already reported the failure and resolved to undefined.
    return result === undefined ? (undefined as unknown as Attributes) : createAttributes(result);
  }

  /**
   * Sends notifications (display/click events). The returned promise settles when they were
   * delivered; it is also handed to waitUntil, so a handler may answer without awaiting it.
   */
  sendNotifications(options: Omit<EdgeGetOffersOptions, "decisioningMethod">): Promise<GetOffersResult> {
    const waitUntil = pickWaitUntil(options, this.#waitUntil);
    const delivery = this.#core.sendNotifications(withoutWaitUntil((options ?? {}) as EdgeGetOffersOptions));
    this.#handOver(delivery, waitUntil);
    return delivery;
  }

  /** First call: wait for the artifact. Later calls: revalidate a stale one in the background. */
  async #prepare(options: EdgeGetOffersOptions, waitUntil: WaitUntil | undefined): Promise<void> {
    if (!this.#usesArtifact || (options && options.decisioningMethod === "server-side")) return;
    const status = this.#core.status();
    if (status.closed) return; // the core refuses the call with ODE_ERR_CLOSED
    if (!status.ready) {
      const load = this.#load();
      this.#handOver(load, waitUntil);
      try {
        // A warm-start cache (artifactCache) may answer before the download: decide from it and
        // let the download finish in waitUntil.
        await Promise.race([load, this.#core.ready()]);
      } catch (err) {
        // hybrid answers remotely without an artifact; on-device reports why there is none
        if ((options?.decisioningMethod ?? status.decisioningMethod) !== "hybrid") throw notReady(err);
      }
      return;
    }
    const age = status.artifact?.ageMs ?? 0;
    if (this.#revalidateAfter > 0 && age >= this.#revalidateAfter && !this.#revalidating) {
      this.#revalidating = true;
      const revalidation = this.#core.refreshArtifact().then(noop, noop).finally(() => (this.#revalidating = false));
      this.#handOver(revalidation, waitUntil);
    }
  }

  /** One load at a time, shared by every caller waiting for the first artifact. */
  #load(): Promise<void> {
    this.#loading ??= this.#core.refreshArtifact().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  #handOver(work: Promise<unknown>, waitUntil: WaitUntil | undefined): void {
    const settled = work.then(noop, noop);
    if (waitUntil) waitUntil(settled);
  }
}
