import { describe, expect, it } from "vitest";
import { benchConfig, runScenarios } from "../../bench/run";

/**
 * Smoke test of the benchmark harness: the quick mode of scenario 1, our client only, on a tiny
 * budget. It asserts that numbers came out, never how fast they are (timing varies by machine).
 */
describe("bench smoke", () => {
  it("runs scenario 1 (quick, ours only) and produces finite statistics", async () => {
    const lines: string[] = [];
    const config = benchConfig({ quick: true, oursOnly: true, scales: [1] }, (line) => lines.push(line));
    config.budgets.ours = { warmupMs: 20, budgetMs: 50, maxIterations: 2000 };
    const results = await runScenarios(config, new Set(["1"]));

    expect(results.map((r) => r.id)).toEqual(["1"]);
    const [s1] = results;
    expect(s1!.reference).toBeUndefined();
    expect(s1!.notes).toEqual([]); // the sanity check: perf-mbox returned an offer
    const ours = s1!.ours!;
    expect(ours.iterations).toBeGreaterThan(0);
    for (const value of [ours.opsPerSec, ours.meanUs, ours.p50Us, ours.p99Us, ours.elapsedMs]) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
    expect(ours.p50Us).toBeLessThanOrEqual(ours.p99Us);
    expect(lines.some((l) => l.startsWith("scenario 1"))).toBe(true);
  });
});
