import { describe, expect, it } from "vitest";
import { runPublishBench, syntheticTenant } from "../../bench/publish";
import { compileArtifact } from "../../src/publish/compiler/compile";
import { validateArtifact } from "../../src/artifact/parse";

/** Smoke test of bench:publish: numbers come out and the synthetic tenant compiles; never how fast. */
describe("bench:publish smoke", () => {
  it("measures a small tenant and reports finite numbers", async () => {
    const rows = await runPublishBench([10], 1, () => undefined);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.rules).toBe(30);
    for (const value of [row!.compileMs, row!.buildMs, row!.publishMemoryMs, row!.publishSqliteMs, row!.jsonBytes, row!.binBytes]) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
  });

  it("the synthetic tenant is a valid artifact with every activity in it", () => {
    const artifact = validateArtifact(JSON.parse(JSON.stringify(compileArtifact(syntheticTenant(40), { environment: "production", now: Date.parse("2026-06-01T00:00:00Z") }))));
    const keys = new Set(Object.values(artifact.rules.mboxes ?? {}).flat().map((r) => r.ruleKey));
    expect(keys.size).toBe(40);
  });
});
