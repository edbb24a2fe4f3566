import { describe, expect, it } from "vitest";
import path from "node:path";
import { allocationForDeviceId, computeAllocation, hashUnencodedChars, visitorIdForAllocation } from "../../src/engine/allocation";
import { conformanceDir, readJson } from "../support/shared";

const vectors = readJson(path.join(conformanceDir(), "vectors.json"));

describe("hashUnencodedChars", () => {
  it.each(vectors.murmur as { input: string; hash: number }[])("hashes %j like the reference", (v) => {
    expect(hashUnencodedChars(v.input)).toBe(v.hash);
  });

  it("hashes astral characters as two UTF-16 units", () => {
    expect(hashUnencodedChars("😀")).toBe(1443257913);
  });
});

describe("allocation", () => {
  const fallback = () => {
    throw new Error("random id must not be needed");
  };
  it.each(vectors.allocation as any[])("reproduces $client/$activityId/$visitorId", (v) => {
    const visitorId = typeof v.visitorId === "string" ? v.visitorId : visitorIdForAllocation(v.visitorId, fallback);
    expect(computeAllocation(v.client, v.activityId, visitorId)).toBe(v.allocation);
  });

  it("stays in [0, 100) and spreads evenly over many visitors", () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const a = allocationForDeviceId(`client.1.visitor-${i}.0`);
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThan(100);
      buckets[Math.floor(a / 10)]++;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(1700);
  });

  it("prefers MCID, then tntId without location hint, then thirdPartyId verbatim", () => {
    const rnd = () => "random";
    expect(visitorIdForAllocation({ marketingCloudVisitorId: "m", tntId: "t.28_0" }, rnd)).toBe("m");
    expect(visitorIdForAllocation({ tntId: "t.28_0", thirdPartyId: "x.1" }, rnd)).toBe("t");
    expect(visitorIdForAllocation({ thirdPartyId: "x.1" }, rnd)).toBe("x.1");
    expect(visitorIdForAllocation({ customerIds: [{ id: "c", authenticatedState: "authenticated" }] }, rnd)).toBe("random");
    expect(visitorIdForAllocation(undefined, rnd)).toBe("random");
  });
});
