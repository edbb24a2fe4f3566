/**
 * Capping counters as a port. Counters count propositions (decision events) per offer, globally
 * and per profile. `reserve` is the atomic check-and-increment that keeps caps exact when several
 * service nodes share one store: it increments every item or none, and on refusal returns the
 * current counters so the caller can decide again with them.
 */
import type { CapCounts } from "../decide";

export interface CapReservation {
  offerId: string;
  globalCap: number | undefined;
  profileCap: number | undefined;
  /** How many propositions of this request carry the offer (more than 1 only with duplicates allowed). */
  times: number;
}

export type ReserveResult = { ok: true } | { ok: false; counts: CapCounts };

/**
 * A store answers with a promise when it does I/O (Redis) and may answer directly when it does not
 * (in memory): the runtime then decides without a detour through the microtask queue. A direct
 * answer may also be a thrown error, which the runtime handles like a rejected promise.
 */
export type MaybePromise<T> = T | Promise<T>;

export interface CappingStore {
  /** "memory" or "redis", for logs and metrics. */
  readonly kind: string;
  /** Current counters of these offers (globally and for this profile); absent counts are 0. */
  read(scope: string, offerIds: readonly string[], profileKey: string): MaybePromise<CapCounts>;
  /** Increments all items if every one stays within its caps; otherwise increments nothing. */
  reserve(scope: string, items: readonly CapReservation[], profileKey: string): MaybePromise<ReserveResult>;
  close(): Promise<void>;
}

/** A store that always answers with a promise (one doing I/O, such as Redis). */
export interface AsyncCappingStore extends CappingStore {
  read(scope: string, offerIds: readonly string[], profileKey: string): Promise<CapCounts>;
  reserve(scope: string, items: readonly CapReservation[], profileKey: string): Promise<ReserveResult>;
}

/** The answer is a promise (or another thenable) to wait for. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** The counter keys of one offer: global, and per profile. Scope is the container id. */
export function counterKeys(scope: string, offerId: string, profileKey: string): [string, string] {
  const base = `${scope.length}:${scope}:${offerId.length}:${offerId}`;
  return [`${base}:g`, `${base}:p:${profileKey}`];
}
