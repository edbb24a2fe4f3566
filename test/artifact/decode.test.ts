import { describe, expect, it } from "vitest";
import { runCompiler, decodeArtifactBody } from "../../src/artifact/decode";
import { encodeRulesBin } from "../../src/artifact/rules-bin";
import { DecisioningError } from "../../src/errors";
import { anArtifact } from "./support";

const opts = { organizationId: "ORG@AdobeOrg", maximumArtifactSize: 10_000, location: "loc" };

describe("decodeArtifactBody", () => {
  it("decodes JSON text, UTF-8 bytes, an ArrayBuffer, rules.bin bytes and objects alike", () => {
    const a = anArtifact();
    const text = JSON.stringify(a);
    const utf8 = new TextEncoder().encode(text);
    expect(decodeArtifactBody(text, "json", opts)).toEqual({ artifact: a, text });
    expect(decodeArtifactBody(utf8, "json", opts)).toEqual({ artifact: a, text });
    expect(decodeArtifactBody(utf8.slice().buffer, "json", opts)).toEqual({ artifact: a, text });
    expect(decodeArtifactBody(encodeRulesBin(text, opts.organizationId), "bin", opts)).toEqual({
      artifact: a,
      text,
    });
    const obj = decodeArtifactBody(a as never, "json", opts);
    expect(obj.artifact).toBe(a);
    expect(obj.text).toBeUndefined();
  });

  it("enforces maximumArtifactSize on strings and bytes", () => {
    const big = JSON.stringify(anArtifact({ hero: 100 }));
    expect(() => decodeArtifactBody(big, "json", opts)).toThrow(
      expect.objectContaining({ code: "ODE_ERR_ARTIFACT_TOO_LARGE" }) as unknown as Error,
    );
    expect(() => decodeArtifactBody(new TextEncoder().encode(big), "json", opts)).toThrow(
      expect.objectContaining({ code: "ODE_ERR_ARTIFACT_TOO_LARGE" }) as unknown as Error,
    );
  });
});

describe("runCompiler", () => {
  it("passes DecisioningErrors through and wraps anything else as ODE_ERR_ARTIFACT_INVALID", () => {
    const coded = new DecisioningError("ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR", "regex_match");
    expect(() =>
      runCompiler(() => {
        throw coded;
      }, anArtifact()),
    ).toThrow(coded);
    let caught: unknown;
    try {
      runCompiler(() => {
        throw new TypeError("cannot read x of undefined");
      }, anArtifact());
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: "ODE_ERR_ARTIFACT_INVALID", cause: expect.any(TypeError) });
    expect(runCompiler(() => 42, anArtifact())).toBe(42);
  });
});
