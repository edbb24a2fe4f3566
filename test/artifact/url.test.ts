import { describe, expect, it } from "vitest";
import { artifactUrl, locationKind, resolveArtifactFormat } from "../../src/artifact/url";
import { DecisioningError } from "../../src/errors";

describe("artifactUrl", () => {
  it("builds the CDN URL with the production default", () => {
    expect(artifactUrl({ client: "acme" })).toBe(
      "https://assets.adobetarget.com/acme/production/v1/rules.json",
    );
  });

  it("lower-cases the environment and adds the property token segment", () => {
    expect(artifactUrl({ client: "acme", environment: "Staging", propertyToken: "tok-1" })).toBe(
      "https://assets.adobetarget.com/acme/staging/v1/tok-1/rules.json",
    );
  });

  it("names rules.bin for the bin format and rules.json for any other format string", () => {
    expect(artifactUrl({ client: "acme", artifactFormat: "bin" })).toBe(
      "https://assets.adobetarget.com/acme/production/v1/rules.bin",
    );
    expect(artifactUrl({ client: "acme", artifactFormat: "xml" })).toBe(
      "https://assets.adobetarget.com/acme/production/v1/rules.json",
    );
  });

  it("skips an empty or blank property token instead of producing //", () => {
    expect(artifactUrl({ client: "acme", propertyToken: "" })).toBe(
      "https://assets.adobetarget.com/acme/production/v1/rules.json",
    );
    expect(artifactUrl({ client: "acme", propertyToken: "  " })).toBe(
      "https://assets.adobetarget.com/acme/production/v1/rules.json",
    );
  });

  it("uses artifactLocation verbatim", () => {
    expect(
      artifactUrl({ client: "acme", propertyToken: "t", artifactLocation: "https://x.test/a.bin" }),
    ).toBe("https://x.test/a.bin");
  });

  it("percent-encodes path segments", () => {
    expect(artifactUrl({ client: "a/b", environment: "x y" })).toBe(
      "https://assets.adobetarget.com/a%2Fb/x%20y/v1/rules.json",
    );
  });
});

describe("resolveArtifactFormat", () => {
  it("lets an explicit format win over the location suffix", () => {
    expect(resolveArtifactFormat("json", "https://x/rules.bin")).toBe("json");
    expect(resolveArtifactFormat("bin", "https://x/rules.json")).toBe("bin");
    expect(resolveArtifactFormat("other", "https://x/rules.bin")).toBe("json");
  });

  it("derives bin from a case-insensitive .bin suffix, ignoring query and fragment", () => {
    expect(resolveArtifactFormat(undefined, "https://x/rules.BIN")).toBe("bin");
    expect(resolveArtifactFormat(undefined, "https://x/rules.bin?v=2#f")).toBe("bin");
    expect(resolveArtifactFormat(undefined, "./artifacts/rules.json")).toBe("json");
    expect(resolveArtifactFormat(undefined, ".bin")).toBe("json");
  });
});

describe("locationKind", () => {
  it("tells HTTP from files and rejects other schemes", () => {
    expect(locationKind("https://x/rules.json")).toBe("http");
    expect(locationKind("HTTP://x/rules.json")).toBe("http");
    expect(locationKind(`file://${process.cwd()}/rules.json`)).toBe("file");
    expect(locationKind(`${process.cwd()}/rules.json`)).toBe("file");
    expect(locationKind("rules.json")).toBe("file");
    expect(() => locationKind("s3://bucket/rules.json")).toThrow(DecisioningError);
  });
});
