import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArtifactText, utf8Decode, validateArtifact } from "../../src/artifact/parse";
import { DecisioningError } from "../../src/errors";
import { conformanceDir } from "../support/shared";
import { anArtifact } from "./support";

const ARTIFACTS = path.join(conformanceDir(), "artifacts");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(DecisioningError.is(e)).toBe(true);
    return (e as DecisioningError).code;
  }
  return undefined;
}

function withRule(patch: (rule: Record<string, unknown>) => void): unknown {
  const a = JSON.parse(JSON.stringify(anArtifact()));
  patch(a.rules.mboxes.hero[0]);
  return a;
}

describe("validateArtifact", () => {
  it("accepts every conformance artifact of major version 1 and returns the same object", () => {
    const files = readdirSync(ARTIFACTS).filter((f) => f !== "TEST_ARTIFACT_UNSUPPORTED.json");
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const value = JSON.parse(readFileSync(`${ARTIFACTS}/${f}`, "utf8"));
      expect(validateArtifact(value)).toBe(value);
    }
  });

  it("rejects the unsupported (99.0.0) conformance artifact and a 2.x version", () => {
    const unsupported = JSON.parse(readFileSync(`${ARTIFACTS}/TEST_ARTIFACT_UNSUPPORTED.json`, "utf8"));
    expect(codeOf(() => validateArtifact(unsupported))).toBe("ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED");
    expect(codeOf(() => validateArtifact(anArtifact({}, "2.0.0")))).toBe(
      "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
    );
    expect(codeOf(() => validateArtifact(anArtifact({}, "abc")))).toBe(
      "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
    );
    expect(codeOf(() => validateArtifact(anArtifact({}, "1.5")))).toBeUndefined();
  });

  it.each([
    ["null", null],
    ["an array", []],
    ["a missing version", { rules: {} }],
    ["a numeric version", { version: 1, rules: {} }],
    ["missing rules", { version: "1.0.0" }],
    ["rules as an array", { version: "1.0.0", rules: [] }],
    ["mboxes as an array", { version: "1.0.0", rules: { mboxes: [] } }],
    ["views as a string", { version: "1.0.0", rules: { views: "x" } }],
    ["a rule list that is not an array", { version: "1.0.0", rules: { mboxes: { a: {} } } }],
    ["a rule that is not an object", { version: "1.0.0", rules: { mboxes: { a: [1] } } }],
    ["meta as a string", { version: "1.0.0", meta: "x", rules: {} }],
    ["responseTokens as an object", { version: "1.0.0", responseTokens: {}, rules: {} }],
    ["a forbidden mbox name", JSON.parse('{"version":"1.0.0","rules":{"mboxes":{"__proto__":[]}}}')],
    ["a rule without condition", withRule((r) => delete r.condition)],
    ["a rule without consequence", withRule((r) => delete r.consequence)],
    ["a rule whose meta is not an object", withRule((r) => (r.meta = 5))],
    ["options not an array", withRule((r) => ((r.consequence as Record<string, unknown>).options = {}))],
    ["metrics not an array", withRule((r) => ((r.consequence as Record<string, unknown>).metrics = "m"))],
  ])("rejects %s as ODE_ERR_ARTIFACT_INVALID", (_name, value) => {
    expect(codeOf(() => validateArtifact(value))).toBe("ODE_ERR_ARTIFACT_INVALID");
  });

  it("accepts the literal true as a condition and absent options/metrics", () => {
    const a = withRule((r) => {
      r.condition = true;
      delete (r.consequence as Record<string, unknown>).metrics;
    });
    expect(validateArtifact(a)).toBe(a);
  });

  it("does not mutate or freeze the input", () => {
    const a = anArtifact();
    const before = JSON.stringify(a);
    validateArtifact(a);
    expect(JSON.stringify(a)).toBe(before);
    expect(Object.isFrozen(a)).toBe(false);
  });
});

describe("parseArtifactText / utf8Decode", () => {
  it("reports malformed JSON as ODE_ERR_ARTIFACT_PARSE", () => {
    expect(codeOf(() => parseArtifactText('{"version": "1.0.0", '))).toBe("ODE_ERR_ARTIFACT_PARSE");
    expect(codeOf(() => parseArtifactText(""))).toBe("ODE_ERR_ARTIFACT_PARSE");
  });

  it("reports invalid UTF-8 as ODE_ERR_ARTIFACT_PARSE and drops a BOM", () => {
    expect(codeOf(() => utf8Decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toBe("ODE_ERR_ARTIFACT_PARSE");
    expect(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe("{}");
  });
});
