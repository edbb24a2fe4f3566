import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogInstance } from "../../src/offers/core/catalog";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import { CatalogBuilder } from "./support";

function candidateIds(index: DecisionIndex, activityId: string, placementId: string): string[] {
  const activity = index.activity(activityId);
  return activity
    ? index.candidates(activity, placementId).map((c) => `${c.offer.id}@${c.offer.priority}`)
    : [];
}

function world() {
  const b = new CatalogBuilder();
  const placements = [b.placement("p1"), b.placement("p2")];
  const tags = [b.tag("t1"), b.tag("t2"), b.tag("t3")];
  const offers = Array.from({ length: 8 }, (_, i) =>
    b.offer({ tags: [tags[i % 3]!], placements: [placements[i % 2]!], priority: i % 3 }),
  );
  const filters = [
    b.filter("anyTags", [tags[0]!, tags[1]!]),
    b.filter("allTags", [tags[2]!]),
    b.filter("offers", offers.slice(0, 4)),
  ];
  const fallback = b.fallback(placements);
  const activities = filters.flatMap((f) =>
    placements.map((p) => b.activity({ placement: p, filter: f, fallback })),
  );
  return { b, placements, tags, offers, filters, activities };
}

const clone = (i: CatalogInstance): CatalogInstance => structuredClone(i);

describe("decision index", () => {
  it("reads the criteria form: placements per criterion, filter and extra rule", () => {
    const b = new CatalogBuilder();
    const [p1, p2] = [b.placement("p1"), b.placement("p2")];
    const o = b.offer({ placements: [p1, p2] });
    const f = b.filter("offers", [o]);
    const rule = b.rule("true");
    const fb = b.fallback([p1, p2]);
    const a = b.add("offer-activity", {
      "xdm:name": "criteria",
      "xdm:status": "live",
      "xdm:criteria": [
        { "xdm:placements": [p1], "xdm:optionSelection": { "xdm:filter": f } },
        { "xdm:placements": [p2], "xdm:optionSelection": { "xdm:filter": f, "xdm:eligibilityRule": rule } },
      ],
      "xdm:fallback": fb,
    });
    const index = DecisionIndex.fromSnapshot(b.snapshot(), 0);
    const activity = index.activity(a)!;
    expect(index.placementsOf(activity)).toEqual([p1, p2]);
    expect(index.candidates(activity, p1)[0]!.criterionRules).toEqual([]);
    expect(index.candidates(activity, p2)[0]!.criterionRules).toEqual([rule]);
  });

  it("patches candidate lists when one offer changes, and matches a fresh build after any change sequence", () => {
    const w = world();
    const ops = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant("priority" as const), offer: fc.nat(7), value: fc.nat(4) }),
        fc.record({
          kind: fc.constant("status" as const),
          offer: fc.nat(7),
          value: fc.constantFrom("approved", "draft"),
        }),
        fc.record({ kind: fc.constant("tags" as const), offer: fc.nat(7), value: fc.subarray([0, 1, 2]) }),
        fc.record({ kind: fc.constant("placement" as const), offer: fc.nat(7), value: fc.nat(1) }),
        fc.record({ kind: fc.constant("remove" as const), offer: fc.nat(7) }),
        fc.record({
          kind: fc.constant("filter" as const),
          filter: fc.nat(2),
          value: fc.subarray([0, 1, 2], { minLength: 1 }),
        }),
        fc.record({ kind: fc.constant("activity" as const), activity: fc.nat(5), value: fc.nat(2) }),
      ),
      { maxLength: 25 },
    );
    fc.assert(
      fc.property(ops, (changes) => {
        const instances = new Map(w.b.instances.map((i) => [i.instanceId, clone(i)]));
        const index = DecisionIndex.fromSnapshot(
          { containerId: "c1", instances: [...instances.values()] },
          0,
        );
        const byAtId = (id: string) => [...instances.values()].find((i) => i._instance["@id"] === id);
        // Warm every candidate list so that patches (not rebuilds) are exercised.
        for (const a of w.activities) for (const p of w.placements) candidateIds(index, a, p);
        for (const change of changes) {
          if (change.kind === "filter" || change.kind === "activity") {
            const target = byAtId(
              change.kind === "filter" ? w.filters[change.filter]! : w.activities[change.activity]!,
            )!;
            if (change.kind === "filter") target._instance["ids"] = change.value.map((t) => w.tags[t]);
            else target._instance["xdm:filter"] = w.filters[change.value];
            target["repo:etag"]++;
            index.upsert(clone(target), 1);
            continue;
          }
          const target = byAtId(w.offers[change.offer]!);
          if (!target) continue;
          if (change.kind === "remove") {
            instances.delete(target.instanceId);
            index.remove(target.instanceId, 1);
            continue;
          }
          const i = target._instance as Record<string, any>;
          if (change.kind === "priority") i["xdm:rank"] = { "xdm:priority": change.value };
          if (change.kind === "status") i["xdm:status"] = change.value;
          if (change.kind === "tags") i["xdm:tags"] = change.value.map((t) => w.tags[t]);
          if (change.kind === "placement")
            i["xdm:representations"][0]["xdm:placement"] = w.placements[change.value];
          target["repo:etag"]++;
          index.upsert(clone(target), 1);
        }
        const fresh = DecisionIndex.fromSnapshot(
          { containerId: "c1", instances: [...instances.values()] },
          0,
        );
        for (const a of w.activities) {
          for (const p of w.placements) expect(candidateIds(index, a, p)).toEqual(candidateIds(fresh, a, p));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the latest etag and ignores instances of other schemas or without @id", () => {
    const w = world();
    const index = DecisionIndex.fromSnapshot(w.b.snapshot(), 0);
    const size = index.size;
    index.upsert(
      {
        instanceId: "x",
        schemas: ["https://ns.example.com/other"],
        "repo:etag": 1,
        _instance: { "@id": "x" },
      },
      5,
    );
    index.upsert({ instanceId: "y", schemas: w.b.instances[0]!.schemas, "repo:etag": 1, _instance: {} }, 5);
    expect(index.size).toBe(size);
    const offer = clone(w.b.instance(w.offers[0]!));
    offer["repo:etag"] = 7;
    index.upsert(offer, 9);
    expect(index.offer(w.offers[0]!)!.etag).toBe(7);
    expect(index.catalogUpdated).toBe(9);
  });
});
