/**
 * The TargetClient facade: the public, reference-compatible surface. It holds one client runtime
 * (see ./composition) and hands each call to the pipeline (./pipeline); it adds only lifecycle
 * (ready, status, flush, close) and the callback style of getOffers.
 */
import { DecisioningError, toDecisioningError } from "../errors";
import { checkDeliveryInput } from "./request-guard";
import { withTimeout } from "../primitives/abort";
import type { NotificationQueue } from "../remote/notification-queue";
import { createAttributes, withAttributeMboxes, type Attributes } from "./attributes";
import type { GetOffersOptions, ReadyOptions } from "./call-options";
import { closeRuntime, createRuntime, startRuntime } from "./composition";
import { safeCall } from "./events";
import type { ClientOptions, DecisioningMethod, EventListener } from "./options";
import * as pipeline from "./pipeline";
import { webPlatform, type ClientPlatform } from "./platform";
import { artifactFreshness, type ArtifactFreshness, type GetOffersResult } from "./result";
import type { ClientRuntime } from "./runtime";
import { TargetClientStatics } from "./sdk-statics";

export interface ClientStatus {
  ready: boolean;
  closed: boolean;
  decisioningMethod: DecisioningMethod;
  artifact?: ArtifactFreshness;
  fresh: boolean;
  notifications: ReturnType<NotificationQueue["stats"]>;
  /** Rule conditions stopped by their evaluation budget since start (those rules did not match). */
  conditionsOverBudget?: number;
}

const INTERNAL = Symbol("TargetClient.internal");

/**
 * The drop-in replacement for `@adobe/target-nodejs-sdk`'s TargetClient: create it with
 * `TargetClient.create(options)`, wait with `await client.ready()`, decide with `getOffers`, and
 * release every timer, socket and queued notification with `await client.close()`.
 */
export class TargetClient extends TargetClientStatics {

  /** The runtime's ports. A web platform here; the Node entry's subclass (./node) sets Node's. */
  protected static platform: ClientPlatform = webPlatform;

  /** Creates a client synchronously; readiness is signalled by `clientReady` and `ready()`. */
  static create(options: ClientOptions): TargetClient {
    return new this(INTERNAL, options);
  }

  readonly #rt: ClientRuntime;

  constructor(token: symbol, options: ClientOptions) {
    super();
    if (token !== INTERNAL) throw new Error("Please use TargetClient.create static method instead");
    this.#rt = createRuntime(options, (new.target as typeof TargetClient).platform);
    startRuntime(this.#rt, () => pipeline.pingLocationHint(this.#rt));
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on(type: string, listener: EventListener): () => void {
    return this.#rt.events.on(type, listener);
  }

  /** Resolves when the client can decide (artifact loaded for on-device/hybrid). */
  ready(options: ReadyOptions = {}): Promise<void> {
    const rt = this.#rt;
    if (rt.state.closing)
      return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The client is closed"));
    if (!rt.manager) return Promise.resolve();
    const timeout = options.timeout ?? rt.options.maximumWaitReady;
    const readyPromise = rt.manager.whenReady().then(() => undefined);
    if (timeout === undefined) return readyPromise;
    // The client's timers are unref'd: while someone awaits a bounded ready(), hold the process so
    // the timeout can fire even when nothing else keeps the event loop alive.
    const release = rt.scheduler.hold?.();
    const bounded = withTimeout(
      readyPromise,
      rt.scheduler,
      timeout,
      () => new DecisioningError("ODE_ERR_READY_TIMEOUT", `The client was not ready within ${timeout} ms`),
    );
    return release ? bounded.finally(release) : bounded;
  }

  /** Current state: readiness, the artifact in use and its age, the notification queue. */
  status(): ClientStatus {
    const { manager, state, scheduler, options, queue } = this.#rt;
    const loaded = manager?.current();
    return {
      ready: manager ? manager.isReady() : state.serverSideReady,
      closed: state.closing !== undefined,
      decisioningMethod: options.decisioningMethod,
      ...(loaded ? { artifact: artifactFreshness(loaded, scheduler.now()) } : {}),
      fresh: manager ? manager.isFresh(scheduler.now()) : true,
      notifications: queue.stats(),
      conditionsOverBudget: state.conditionsOverBudget,
    };
  }

  /**
   * Loads the artifact now (joining a load in flight) and resolves once it is in use; rejects with
   * the load's error. With polling off this is how an artifact is refreshed.
   */
  refreshArtifact(): Promise<void> {
    const rt = this.#rt;
    if (rt.state.closing) return Promise.reject(new DecisioningError("ODE_ERR_CLOSED", "The client is closed"));
    return rt.manager ? rt.manager.refresh() : Promise.resolve();
  }

  /** Sends every queued notification now. */
  flush(): Promise<void> {
    return this.#rt.queue.flush();
  }

  /**
   * Stops polling, aborts in-flight calls, flushes queued notifications, releases sockets. Idempotent.
   * `timeout` (ms) bounds the flush: notifications still unsent then go to the spool, or are counted
   * as lost (`status().notifications.lostNotifications`).
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    const rt = this.#rt;
    const timeout = options?.timeout;
    const deadline = typeof timeout === "number" && timeout >= 0 ? rt.scheduler.now() + timeout : undefined;
    rt.state.closing ??= closeRuntime(rt, deadline);
    return rt.state.closing;
  }

  getOffers(options: GetOffersOptions): Promise<GetOffersResult> {
    const run = pipeline.getOffers(this.#rt, options);
    const { callback, errCallback } = (options ?? {}) as GetOffersOptions;
    if (typeof callback !== "function" && typeof errCallback !== "function") return run;
    const log = this.#rt.log;
    return run.then(
      (result) => {
        if (typeof callback === "function") safeCall(() => callback(result), log);
        return result;
      },
      (err: unknown) => {
        const error = toDecisioningError(err);
        if (typeof errCallback === "function") {
          safeCall(() => errCallback(error), log);
          return undefined as unknown as GetOffersResult;
        }
        throw error;
      },
    );
  }

  async getAttributes(mboxNames: string[], options?: Partial<GetOffersOptions> | null): Promise<Attributes> {
    const opts = options && typeof options === "object" ? options : {};
    checkDeliveryInput(opts); // before the request is extended with the attribute mboxes
    const base = opts.request ?? { context: { channel: "web" } };
    const request = withAttributeMboxes(base, Array.isArray(mboxNames) ? mboxNames : []);
    const result = await this.getOffers({ ...opts, request } as GetOffersOptions);
    // With an errCallback, getOffers already reported the failure and resolved to undefined: so do we.
    return result === undefined ? (undefined as unknown as Attributes) : createAttributes(result);
  }

  sendNotifications(options: Omit<GetOffersOptions, "decisioningMethod">): Promise<GetOffersResult> {
    return pipeline.sendNotifications(this.#rt, options as GetOffersOptions);
  }
}
