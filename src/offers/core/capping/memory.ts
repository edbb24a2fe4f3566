/**
 * In-memory capping counters (the default): exact within one process, lost on restart, not shared
 * between nodes. The number of counters is bounded; when full, new counters cannot be created and
 * the store reports an error, which the runtime handles like any store outage (closed or open).
 * It answers directly (no promise): the runtime then decides without awaiting anything.
 */
import { DecisioningError } from "../../../errors";
import type { CapCounts } from "../decide";
import type { CappingStore, CapReservation, ReserveResult } from "./port";

export const DEFAULT_MAX_COUNTERS = 1_000_000;

/** The counters of one offer: global, and per profile key. */
interface OfferCounters {
  global: number;
  profiles: Map<string, number>;
}

export function createMemoryCappingStore(options: { maxCounters?: number } = {}): CappingStore {
  /** Counters by scope (container id), then offer @id: no key strings built per call. */
  const scopes = new Map<string, Map<string, OfferCounters>>();
  /** Counters held (an offer's global counter and each of its profile counters count one). */
  let size = 0;
  const max = options.maxCounters ?? DEFAULT_MAX_COUNTERS;
  const countsOf = (
    offers: Map<string, OfferCounters> | undefined,
    offerIds: readonly string[],
    profileKey: string,
  ) => {
    const counts = new Map<string, { global: number; profile: number }>();
    for (const id of offerIds) {
      const c = offers?.get(id);
      counts.set(id, { global: c?.global ?? 0, profile: c?.profiles.get(profileKey) ?? 0 });
    }
    return counts;
  };
  /** Whether incrementing these items would create a counter beyond the bound. */
  const overflows = (
    offers: Map<string, OfferCounters> | undefined,
    items: readonly CapReservation[],
    profileKey: string,
  ) => {
    if (size + 2 * items.length <= max) return false;
    return items.some((i) => {
      const c = offers?.get(i.offerId);
      return c === undefined || !c.profiles.has(profileKey);
    });
  };
  return {
    kind: "memory",
    read(scope, offerIds, profileKey): CapCounts {
      return countsOf(scopes.get(scope), offerIds, profileKey);
    },
    reserve(scope, items: readonly CapReservation[], profileKey): ReserveResult {
      let offers = scopes.get(scope);
      const counts = countsOf(
        offers,
        items.map((i) => i.offerId),
        profileKey,
      );
      const fits = items.every((i) => {
        const c = counts.get(i.offerId)!;
        return (
          (i.globalCap === undefined || c.global + i.times <= i.globalCap) &&
          (i.profileCap === undefined || c.profile + i.times <= i.profileCap)
        );
      });
      if (!fits) return { ok: false, counts };
      if (overflows(offers, items, profileKey)) {
        throw new DecisioningError(
          "ODE_ERR_CAPPING_UNAVAILABLE",
          `in-memory capping store is full (${max} counters)`,
        );
      }
      if (!offers) scopes.set(scope, (offers = new Map()));
      for (const i of items) {
        let c = offers.get(i.offerId);
        if (!c) {
          offers.set(i.offerId, (c = { global: 0, profiles: new Map() }));
          size++;
        }
        c.global += i.times;
        const profile = c.profiles.get(profileKey);
        if (profile === undefined) size++;
        c.profiles.set(profileKey, (profile ?? 0) + i.times);
      }
      return { ok: true };
    },
    async close() {
      scopes.clear();
      size = 0;
    },
  };
}
