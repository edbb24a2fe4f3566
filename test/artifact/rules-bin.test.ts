import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeRulesBin, decodeRulesBinText, encodeRulesBin } from "../../src/artifact/rules-bin";
import { DecisioningError } from "../../src/errors";
import { conformanceDir } from "../support/shared";
import { anArtifact } from "./support";

const DIR = `${conformanceDir()}/obfuscated`;
const ORG = "74F652E95F1B16FE0A495C92@AdobeOrg";
const bin = new Uint8Array(readFileSync(`${DIR}/rules.bin`));
const expected = JSON.parse(readFileSync(`${DIR}/rules.json`, "utf8"));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(DecisioningError.is(e)).toBe(true);
    return (e as DecisioningError).code;
  }
  return undefined;
}

describe("decodeRulesBin", () => {
  it("decodes the real rules.bin with its organizationId to exactly rules.json", () => {
    expect(decodeRulesBin(bin, ORG)).toEqual(expected);
  });

  it("reports a wrong organizationId as a parse error", () => {
    expect(codeOf(() => decodeRulesBin(bin, "000000000000000000000000@AdobeOrg"))).toBe(
      "ODE_ERR_ARTIFACT_PARSE",
    );
  });

  it("rejects a file shorter than the 40-byte header as BIN_INVALID", () => {
    expect(codeOf(() => decodeRulesBin(bin.subarray(0, 39), ORG))).toBe("ODE_ERR_ARTIFACT_BIN_INVALID");
    expect(codeOf(() => decodeRulesBin(new Uint8Array(0), ORG))).toBe("ODE_ERR_ARTIFACT_BIN_INVALID");
  });

  it("rejects a truncated body as a parse error", () => {
    expect(codeOf(() => decodeRulesBin(bin.subarray(0, bin.length - 100), ORG))).toBe(
      "ODE_ERR_ARTIFACT_PARSE",
    );
    expect(codeOf(() => decodeRulesBin(bin.subarray(0, 40), ORG))).toBe("ODE_ERR_ARTIFACT_PARSE");
  });

  it("rejects an unsupported obfuscation version or prefix", () => {
    const v2 = bin.slice();
    v2.set(new TextEncoder().encode("ATOD:002"), 0);
    expect(codeOf(() => decodeRulesBin(v2, ORG))).toBe("ODE_ERR_ARTIFACT_BIN_INVALID");
    const other = bin.slice();
    other.set(new TextEncoder().encode("XXXX:001"), 0);
    expect(codeOf(() => decodeRulesBin(other, ORG))).toBe("ODE_ERR_ARTIFACT_BIN_INVALID");
  });

  it("does not modify the input bytes", () => {
    const copy = bin.slice();
    decodeRulesBin(copy, ORG);
    expect(copy).toEqual(bin);
  });
});

describe("encodeRulesBin", () => {
  it("round-trips an artifact with a given key, byte for byte like the reference layout", () => {
    const key = "r963m:fP}/hM^<I&'Z+7ALcS}q_6z*E,";
    const headerKey = new TextDecoder().decode(bin.subarray(8, 40));
    expect(headerKey).toBe(key);
    const reEncoded = encodeRulesBin(decodeRulesBinText(bin, ORG), ORG, key);
    expect(reEncoded).toEqual(bin);
  });

  it("round-trips with a random key and non-ASCII content", () => {
    const artifact = { ...anArtifact(), meta: { generatedAt: "x", note: "ünïcödé ✓ 🎯" } };
    const encoded = encodeRulesBin(artifact, "org@AdobeOrg");
    expect(new TextDecoder().decode(encoded.subarray(0, 8))).toBe("ATOD:001");
    expect(decodeRulesBin(encoded, "org@AdobeOrg")).toEqual(artifact);
  });

  it("rejects a key that is not 32 printable ASCII characters", () => {
    expect(codeOf(() => encodeRulesBin({}, "o", "short"))).toBe("ODE_ERR_INVALID_OPTION");
    expect(codeOf(() => encodeRulesBin({}, "o", "é".repeat(32)))).toBe("ODE_ERR_INVALID_OPTION");
  });
});

describe("runtime neutrality", () => {
  it("rules-bin.ts and parse.ts use no Node built-ins and no Buffer", () => {
    for (const file of ["rules-bin.ts", "parse.ts", "url.ts"]) {
      const src = readFileSync(new URL(`../../src/artifact/${file}`, import.meta.url), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      expect(src).not.toMatch(/from "node:|require\(|\bBuffer\b|\bprocess\./);
    }
  });
});
