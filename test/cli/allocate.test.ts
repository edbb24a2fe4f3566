import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { allocateVisitor } from "../../src/cli/commands/allocate";
import { TargetClient } from "../../src/client";
import { compileArtifact } from "../../src/engine/compile";
import { computeAllocation } from "../../src/engine/allocation";
import { SAMPLE_ARTIFACT } from "../server/support";

const artifact = JSON.parse(readFileSync(SAMPLE_ARTIFACT, "utf8"));
const compiled = compileArtifact(artifact);
const client = TargetClient.create({
  client: "demo",
  organizationId: artifact.meta.organizationId,
  decisioningMethod: "on-device",
  artifactPayload: artifact,
  telemetryEnabled: false,
  fetchApi: async () => new Response("{}", { status: 403 }) as never,
});
afterAll(() => client.close());

const visitors = Array.from({ length: 40 }, (_, i) => `visitor-${i}`);

describe("allocateVisitor", () => {
  it("reports the allocation the engine computes for each activity", () => {
    const report = allocateVisitor({
      compiled,
      client: "demo",
      id: { tntId: "abc.28_0" },
      mboxes: [],
      views: [],
      now: Date.now(),
    });
    expect(report.allocationId).toBe("abc");
    const hero = report.activities.find((a) => a.activityId === 100001)!;
    expect(hero.allocation).toBe(computeAllocation("demo", 100001, "abc"));
    expect(hero).toMatchObject({ name: expect.any(String), type: "ab" });
  });

  it.each(["hero", "pricing"])(
    "agrees with the engine's decision on the experience served at %s",
    async (mbox) => {
      await client.ready({ timeout: 5000 });
      const seen = new Set<unknown>();
      for (const tntId of visitors) {
        const report = allocateVisitor({
          compiled,
          client: "demo",
          id: { tntId },
          mboxes: [mbox],
          views: [],
          now: Date.now(),
        });
        expect(report.activities).toHaveLength(1);
        const activity = report.activities[0]!;
        const decided = activity.locations.find((l) => l.decided)!;
        const result = await client.getOffers({
          request: { id: { tntId }, execute: { mboxes: [{ name: mbox, index: 1 }] } },
        });
        const tokens = result.response.execute!.mboxes![0]!.options![0]!.responseTokens!;
        expect(decided.experience?.id, tntId).toBe(tokens["experience.id"]);
        expect(activity.experience?.id).toBe(tokens["experience.id"]);
        seen.add(decided.experience?.id);
      }
      expect(seen.size).toBeGreaterThan(1); // the visitors really are spread over experiences
    },
  );

  it("marks audience-targeted rules that need request context as unmatched, falling back to the default rule", () => {
    const report = allocateVisitor({
      compiled,
      client: "demo",
      id: { tntId: "v" },
      mboxes: ["promo"],
      views: [],
      now: Date.now(),
    });
    const promo = report.activities[0]!;
    // The firefox-only experience cannot match without a user agent; the catch-all one does.
    expect(promo.locations).toEqual([
      expect.objectContaining({
        location: "mbox:promo",
        decided: true,
        experience: expect.objectContaining({ id: 1 }),
      }),
    ]);
  });

  it("marks matches shadowed by an earlier activity at the same mbox as not decided", () => {
    const shadowed = {
      ...artifact,
      rules: {
        mboxes: {
          spot: [
            { ...artifact.rules.mboxes.promo[1], ruleKey: "first" },
            { ...artifact.rules.mboxes.banner[1], ruleKey: "second" },
          ],
        },
      },
    };
    const report = allocateVisitor({
      compiled: compileArtifact(shadowed),
      client: "demo",
      id: { tntId: "v" },
      mboxes: [],
      views: [],
      now: 0,
    });
    expect(report.activities.map((a) => a.locations[0]!.decided)).toEqual([true, false]);
  });

  it("applies property-limited rules only for the matching --property", () => {
    const limited = {
      ...artifact,
      rules: {
        mboxes: { spot: [{ ...artifact.rules.mboxes.promo[1], ruleKey: "p", propertyTokens: ["tok-1"] }] },
      },
    };
    const c = compileArtifact(limited);
    const base = { compiled: c, client: "demo", id: { tntId: "v" }, mboxes: [], views: [], now: 0 };
    expect(allocateVisitor(base).activities[0]!.experience).toBeNull();
    expect(allocateVisitor({ ...base, propertyToken: "tok-1" }).activities[0]!.experience).not.toBeNull();
  });
});
