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

export interface CappingStore {
  /** "memory" or "redis", for logs and metrics. */
  readonly kind: string;
  /** Current counters of these offers (globally and for this profile); absent counts are 0. */
  read(scope: string, offerIds: readonly string[], profileKey: string): Promise<CapCounts>;
  /** Increments all items if every one stays within its caps; otherwise increments nothing. */
  reserve(scope: string, items: readonly CapReservation[], profileKey: string): Promise<ReserveResult>;
  close(): Promise<void>;
}

/** The counter keys of one offer: global, and per profile. Scope is the container id. */
export function counterKeys(scope: string, offerId: string, profileKey: string): [string, string] {
  const base = `${scope.length}:${scope}:${offerId.length}:${offerId}`;
  return [`${base}:g`, `${base}:p:${profileKey}`];
}
