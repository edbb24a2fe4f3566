import { afterEach, describe, expect, it, vi } from "vitest";
import { TargetClient, type GetOffersOptions } from "../../src/index";
import type { Activity, Audience } from "../../src/admin/model";
import type { Artifact } from "../../src/artifact/schema";
import { compileArtifact } from "../../src/publish/compiler/compile";
import { fakeFetch, json } from "../support/fake-fetch";
import { createRandom, type Random } from "../support/random";
import { createReferenceClient, normalizeForComparison } from "../support/reference";
import { randomRequestsFor } from "../testing/requests";
import { activity, audience, composite, offer, snapshot } from "./support";

/**
 * Random authored tenants (audiences from the whole targetRule grammar, A/B and XT activities with
 * priorities, schedules, entry percentages, property tokens) compiled into artifacts: our engine
 * and the reference SDK must decide every generated request identically.
 */

const LEAVES: ((r: Random) => unknown)[] = [
  (r) => ({ page: "url", [r.pick(["contains", "equals", "startsWith", "endsWith", "notContains"])]: [r.pick(["sale", "HTTPS://WWW.EXAMPLE.COM/", "cart", "Products", "?q=1"])] }),
  (r) => ({ page: r.pick(["domain", "path", "query", "subdomain", "topLevelDomain"]), [r.pick(["equals", "contains", "startsWith"])]: [r.pick(["example.com", "/cart", "item=42", "shop", "co.uk", "x"])] }),
  (r) => ({ mbox: "*", parameter: r.pick(["foo", "color", "a.b"]), [r.pick(["equals", "equalsIgnoreCase", "contains", "notEquals", "exists", "valueExists", "notExists"])]: [r.pick(["bar", "RED", "Baz", "1"])] }),
  (r) => ({ mbox: "*", parameter: "n", [r.pick(["lessThan", "greaterThanOrEquals"])]: [String(r.int(10))] }),
  (r) => ({ geo: r.pick(["country", "region", "city"]), equals: [r.pick(["US", "ro", "San Francisco", "CA", "bucharest"])] }),
  (r) => ({ geo: r.pick(["latitude", "longitude"]), [r.pick(["lessThan", "greaterThan"])]: [r.pick(["37.8", "-122.4", "37.75"])] }),
  (r) => ({ browser: "type", equals: [r.pick(["chrome", "firefox", "safari", "ie", "edge"])] }),
  (r) => ({ browser: "version", greaterThanOrEquals: [String(60 + r.int(70))] }),
  (r) => ({ operatingSystem: "name", equals: [r.pick(["windows", "mac", "linux", "android", "ios"])] }),
  (r) => ({ timeFrame: { days: [1 + r.int(7), 1 + r.int(7)], startTime: "06:00", endTime: r.pick(["18:00", "02:00"]), timezoneOffsetMinutes: r.pick([0, 60, -300]) } }),
  (r) => ({ timeFrame: { start: new Date(Date.UTC(2024, 4 + r.int(3), 1)).toISOString(), end: new Date(Date.UTC(2024, 7 + r.int(6), 1)).toISOString() } }),
];

function randomRule(r: Random, depth = 0): unknown {
  if (depth < 2 && r.chance(0.3)) {
    const kind = r.pick(["and", "or", "not"]);
    if (kind === "not") return { not: randomRule(r, depth + 1) };
    return { [kind]: [randomRule(r, depth + 1), randomRule(r, depth + 1)] };
  }
  return r.pick(LEAVES)(r);
}

function randomTenant(seed: number): Artifact {
  const r = createRandom(seed);
  const audiences: Audience[] = [];
  for (let id = 1; id <= 8; id++) audiences.push(audience(id, randomRule(r)));
  audiences.push(composite(9, { restRuleOperator: r.pick(["AND", "OR", "NOT"] as const), rules: [{ audienceId: 1 + r.int(8) }, { audienceId: 1 + r.int(8) }] }));
  const offers = [offer(1, "<b>one ${activity.name}</b>"), offer(2, { two: 2 }), offer(3, "<i>three</i>")];
  const properties = [{ id: 1, name: "web", token: "tok-web", createdAt: "", modifiedAt: "" }];
  const ids = () => (r.chance(0.5) ? [1 + r.int(9)] : []);
  const mboxes = ["hero", "promo", "footer", "target-global-mbox"];
  const activities: Activity[] = [];
  for (let id = 100; id < 108; id++) {
    const mbox = r.pick(mboxes);
    const extra: Partial<Activity> & { locationAudienceIds?: number[] } = { priority: r.int(4), locationAudienceIds: ids(), modifiedAt: new Date(Date.UTC(2026, 0, 1 + r.int(3))).toISOString() };
    if (r.chance(0.2)) extra.propertyIds = [1];
    if (r.chance(0.2)) extra.startsAt = "2024-06-10T00:00:00.000Z";
    if (r.chance(0.3)) extra.entryConstraint = { mboxes: [{ name: mbox, audienceIds: ids() }], visitorPercentage: r.pick([100, 50, 25]) };
    if (r.chance(0.5)) {
      const first = 1 + r.int(98);
      activities.push(activity(id, "ab", mbox, [{ percent: first, offerId: 1 + r.int(3), audienceIds: ids() }, { percent: 100 - first, offerId: 1 + r.int(3) }], extra));
    } else {
      const experiences = [{ audienceIds: [1 + r.int(9)], offerId: 1 + r.int(3) }, { audienceIds: ids(), offerId: 1 + r.int(3) }, ...(r.chance(0.6) ? [{ offerId: 1 + r.int(3) }] : [])];
      activities.push(activity(id, "xt", mbox, experiences, extra));
    }
  }
  return compileArtifact(snapshot({ audiences, offers, properties, activities }), { environment: "production", organizationId: "ACME@AdobeOrg", now: Date.UTC(2024, 5, 1) });
}

afterEach(() => vi.useRealTimers());

describe("compiled artifacts decide identically in our engine and in the reference", () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random tenant ${seed}`, async () => {
      const artifact = JSON.parse(JSON.stringify(randomTenant(seed))) as Artifact;
      const reference = await createReferenceClient(artifact, "acme", "ACME@AdobeOrg");
      const ours = TargetClient.create({
        client: "acme",
        organizationId: "ACME@AdobeOrg",
        decisioningMethod: "on-device",
        artifactPayload: artifact,
        pollingInterval: 0,
        targetLocationHint: "28",
        telemetryEnabled: false,
        fetchApi: fakeFetch({ "POST https://": () => json({}) }),
      });
      await ours.ready({ timeout: 5000 });
      let matched = 0;
      try {
        for (const [i, input] of randomRequestsFor(artifact, 700 + seed, 200).entries()) {
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(Date.UTC(2024, 5, 1) + i * 3_600_000 * 5 + i * 60_000 * 7);
          const expected = await reference.getOffers(structuredClone(input));
          const actual = await ours.getOffers(structuredClone(input) as GetOffersOptions);
          vi.useRealTimers();
          expect(normalizeForComparison(actual.response), `request ${i}`).toEqual(normalizeForComparison(expected.response));
          if (JSON.stringify(actual.response).includes('"options":[{')) matched++;
        }
        expect(matched).toBeGreaterThan(20);
      } finally {
        await ours.close();
        reference.stop();
      }
    });
  }
});
