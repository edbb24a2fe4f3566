/** Shared pieces of the offer benchmark: the request mix and a runtime over a catalog. */
import { createMemoryCappingStore } from "../../src/offers/core/capping/memory";
import type { DecisionIndex } from "../../src/offers/core/decision-index";
import { createMemoryProfileStore } from "../../src/offers/core/profiles";
import { createOfferRuntime, type OfferRuntime } from "../../src/offers/core/runtime";
import { CONTEXT_SCHEMA, type BenchCatalog } from "./catalog";

export const BENCH_NOW = Date.parse("2026-06-15T12:00:00Z");

export function requestBody(catalog: BenchCatalog, i: number): Record<string, unknown> {
  const activity = catalog.activities[(i * 7919) % catalog.activities.length]!;
  return {
    "xdm:propositionRequests": [
      { "xdm:activityId": activity.id, "xdm:placementId": activity.placement, "xdm:itemCount": 3 },
    ],
    "xdm:profiles": [
      {
        "xdm:identityMap": { ECID: [{ "xdm:id": `visitor-${i % 1000}`, primary: true }] },
        "xdm:contextData": [
          { "@type": CONTEXT_SCHEMA, "xdm:data": { "xdm:channel": i % 2 ? "web" : "app" } },
        ],
      },
    ],
    "xdm:responseFormat": { "xdm:includeContent": true },
  };
}

export function createBenchRuntime(catalog: BenchCatalog, index: DecisionIndex): OfferRuntime {
  return createOfferRuntime({
    indexes: { get: (id) => (id === index.containerId ? index : undefined), all: () => [index] },
    capping: createMemoryCappingStore(),
    profiles: createMemoryProfileStore(catalog.profiles),
    now: () => BENCH_NOW,
  });
}
