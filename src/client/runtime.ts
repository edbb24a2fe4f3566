import type { ArtifactManager } from "../artifact/types";
import type { CompiledArtifact } from "../engine/compile";
import type { SafeLogger } from "../logger";
import type { FetchLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import type { DeliveryClient } from "../remote/delivery-client";
import type { GeoResolver } from "../remote/geo";
import type { NotificationQueue } from "../remote/notification-queue";
import type { TelemetryStore } from "../remote/telemetry";
import type { EventHub } from "./events";
import type { ResolvedOptions } from "./options";

/**
 * What one client is made of: its resolved options, the parts composition created, and the little
 * state that changes while it runs. Every pipeline function receives the runtime explicitly.
 */
export interface ClientRuntime {
  readonly options: ResolvedOptions;
  readonly log: SafeLogger;
  readonly events: EventHub;
  readonly scheduler: Scheduler;
  readonly fetch: FetchLike;
  /** Releases the default HTTP pool; undefined when the caller supplied `fetchApi`. */
  readonly closeFetch: (() => Promise<void>) | undefined;
  /** false on edge runtimes: no timers or requests outside calls (see ClientPlatform). */
  readonly backgroundWork: boolean;
  readonly telemetry: TelemetryStore;
  readonly delivery: DeliveryClient;
  readonly geo: GeoResolver;
  readonly queue: NotificationQueue;
  /** Present for on-device and hybrid clients only. */
  readonly manager: ArtifactManager<CompiledArtifact> | undefined;
  readonly state: ClientState;
}

/** The client's mutable state, in one place. */
export interface ClientState {
  /**
   * The edge cluster calls are routed to when the visitor brings none: the `targetLocationHint`
   * option, then the cluster of the last edge host that answered.
   */
  locationHint: string | undefined;
  /** Set by close(); once set, every call is refused. */
  closing: Promise<void> | undefined;
  /** The first artifact's meta, shown in traces for the client's lifetime (as the reference does). */
  firstArtifactMeta: Record<string, unknown> | undefined;
  /** A server-side client is ready once the event loop turned (as the reference signals it). */
  serverSideReady: boolean;
  /** Rule conditions stopped by their evaluation budget since start (ODE_ERR_CONDITION_BUDGET). */
  conditionsOverBudget: number;
}

/** On-device and hybrid clients need an artifact; server-side clients do not. */
export function usesArtifact(method: string): boolean {
  return method === "on-device" || method === "hybrid";
}
