/** A runtime over in-memory indexes built from catalog builders, for the decision tests. */
import { createMemoryCappingStore } from "../../src/offers/core/capping/memory";
import type { CappingStore } from "../../src/offers/core/capping/port";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import { createMemoryProfileStore } from "../../src/offers/core/profiles";
import { createOfferRuntime, type OfferRuntime, type OfferRuntimeOptions } from "../../src/offers/core/runtime";
import type { CatalogBuilder } from "./support";

export const NOW = Date.parse("2024-06-15T12:00:00.000Z");

export interface TestRuntime {
  runtime: OfferRuntime;
  index: DecisionIndex;
  capping: CappingStore;
  decide(body: unknown): Promise<Record<string, any>>;
}

export function runtimeFor(
  builder: CatalogBuilder,
  options: Partial<Omit<OfferRuntimeOptions, "profiles">> & { profiles?: Record<string, unknown>[] } = {},
): TestRuntime {
  const index = DecisionIndex.fromSnapshot(builder.snapshot(), NOW);
  const capping = options.capping ?? createMemoryCappingStore();
  const runtime = createOfferRuntime({
    now: () => NOW,
    ...options,
    indexes: options.indexes ?? {
      get: (id) => (id === index.containerId ? index : undefined),
      all: () => [index],
    },
    capping,
    profiles: createMemoryProfileStore(options.profiles ?? []),
  });
  return { runtime, index, capping, decide: (body) => runtime.decide(index.containerId, body) };
}
