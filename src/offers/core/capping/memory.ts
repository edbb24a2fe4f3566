/**
 * In-memory capping counters (the default): exact within one process, lost on restart, not shared
 * between nodes. The number of counters is bounded; when full, new counters cannot be created and
 * the store reports an error, which the runtime handles like any store outage (closed or open).
 */
import { DecisioningError } from "../../../errors";
import type { CapCounts } from "../decide";
import { counterKeys, type CappingStore, type CapReservation, type ReserveResult } from "./port";

export const DEFAULT_MAX_COUNTERS = 1_000_000;

export function createMemoryCappingStore(options: { maxCounters?: number } = {}): CappingStore {
  const counters = new Map<string, number>();
  const max = options.maxCounters ?? DEFAULT_MAX_COUNTERS;
  const countsOf = (scope: string, offerIds: readonly string[], profileKey: string): CapCounts =>
    new Map(
      offerIds.map((id) => {
        const [g, p] = counterKeys(scope, id, profileKey);
        return [id, { global: counters.get(g) ?? 0, profile: counters.get(p) ?? 0 }];
      }),
    );
  return {
    kind: "memory",
    async read(scope, offerIds, profileKey) {
      return countsOf(scope, offerIds, profileKey);
    },
    async reserve(scope, items: readonly CapReservation[], profileKey): Promise<ReserveResult> {
      const counts = countsOf(
        scope,
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
      const keys = items.flatMap((i) =>
        counterKeys(scope, i.offerId, profileKey).map((k) => [k, i.times] as const),
      );
      if (counters.size + keys.length > max && keys.some(([k]) => !counters.has(k))) {
        throw new DecisioningError(
          "ODE_ERR_CAPPING_UNAVAILABLE",
          `in-memory capping store is full (${max} counters)`,
        );
      }
      for (const [k, times] of keys) counters.set(k, (counters.get(k) ?? 0) + times);
      return { ok: true };
    },
    async close() {
      counters.clear();
    },
  };
}
