import { describe, expect, it } from "vitest";
import { compileArtifact } from "../../src/engine/compile";
import { DecisioningError } from "../../src/errors";
import { loadArtifact } from "../support/shared";

describe("compileArtifact", () => {
  it("rejects an unknown operator at load, even in an mbox nobody requests", () => {
    const artifact = structuredClone(loadArtifact("TEST_ARTIFACT_AB_SIMPLE"));
    const name = Object.keys(artifact.rules.mboxes)[0]!;
    artifact.rules.mboxes[name][0].condition = { and: [true, { regex_match: ["a", "b"] }] };
    let error: unknown;
    try {
      compileArtifact(artifact);
    } catch (err) {
      error = err;
    }
    expect(DecisioningError.is(error) && error.code).toBe("ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR");
  });

  it("compiles an mbox's rules once, on first use, and never touches the artifact", () => {
    const artifact = loadArtifact("PRODUCTION_ARTIFACT");
    const snapshot = JSON.stringify(artifact);
    const compiled = compileArtifact(artifact);
    expect(compiled.ruleCount).toBe(152);
    expect(compiled.mboxes.size).toBe(Object.keys(artifact.rules.mboxes).length);
    const first = compiled.mboxes.get("perf-mbox");
    expect(first?.length).toBeGreaterThan(0);
    expect(compiled.mboxes.get("perf-mbox")).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(compiled.mboxes.get("constructor")).toBeUndefined();
    expect(compiled.allViewRules).toHaveLength(24);
    expect(JSON.stringify(artifact)).toBe(snapshot);
  });
});
