import { describe, expect, it } from "vitest";
import { runLoop } from "../../bench/edge/loop";
import { loadProductionArtifactText } from "../../bench/lib/artifacts";
import { TargetClient } from "../../src/edge";

/**
 * Smoke test of `npm run bench:edge`'s measured loop (the code that also runs inside workerd):
 * it decides on the production artifact and reports one finite latency per call. Never asserts speed.
 */
describe("bench:edge loop", () => {
  for (const scenario of ["execute-1", "prefetch-5"] as const) {
    it(`runs ${scenario} in Node and reports every call`, async () => {
      const artifact = JSON.parse(loadProductionArtifactText());
      const result = await runLoop(TargetClient, artifact, { scenario, iterations: 20, warmup: 5 });
      expect(result.iterations).toBe(20);
      expect(result.latenciesUs).toHaveLength(20);
      for (const v of result.latenciesUs) expect(Number.isFinite(v) && v >= 0).toBe(true);
      expect(result.elapsedMs).toBeGreaterThan(0);
    });
  }
});
