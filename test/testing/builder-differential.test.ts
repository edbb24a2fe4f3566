import { afterEach, describe, expect, it, vi } from "vitest";
import { TargetClient, type GetOffersOptions } from "../../src/index";
import { and, anArtifact, browserIs, geoCountryIs, or, paramEquals, timeFrame, urlContains, vec } from "../../src/testing";
import type { Artifact } from "../../src/artifact/schema";
import { buildSampleArtifact } from "../../scripts/build-sample-artifact";
import { fakeFetch, json } from "../support/fake-fetch";
import { createReferenceClient, normalizeForComparison, notificationSet } from "../support/reference";
import { randomRequestsFor } from "./requests";

/**
 * Whatever the builder builds must decide identically in our engine and in the published
 * reference: each artifact below gets a few hundred generated requests, compared response by
 * response and impression by impression.
 */

const REQUESTS = 250;

function mixedArtifact(): Artifact {
  return anArtifact({ client: "buildermix", organizationId: "MIX@AdobeOrg", generatedAt: "2026-01-01T00:00:00.000Z" })
    .abActivity({
      id: 501,
      name: "three-way hero",
      mbox: "hero",
      experiences: [
        { name: "A", weight: 34, json: { v: "A" } },
        { name: "B", weight: 33, html: "<b>${campaign.name} / ${mbox.name} / ${mbox.user}</b>" },
        { name: "C", weight: 33, json: { v: "C" } },
      ],
    })
    .xtActivity({
      id: 502,
      name: "targeted promo",
      mbox: "promo",
      experiences: [
        { name: "Firefox in US", audience: and(browserIs("firefox"), geoCountryIs("US")), json: { v: "ff-us" } },
        { name: "Sale pages", audience: or(urlContains("sale"), paramEquals("plan", "gold")), json: { v: "sale" } },
        { name: "2024 only", audience: timeFrame({ start: Date.UTC(2024, 0, 1), end: Date.UTC(2025, 0, 1) }), json: { v: "2024" } },
        { name: "Everyone", json: { v: "all" } },
      ],
    })
    .viewActivity({
      id: 503,
      name: "home view",
      view: "home",
      experiences: [
        { name: "V1", weight: 50, actions: [vec.setHtml("#title", "Hello")] },
        { name: "V2", weight: 50, actions: [vec.setHtml("#title", "Hi ${mbox.name}")] },
      ],
    })
    .pageLoadActivity({
      id: 504,
      name: "page",
      experiences: [
        { name: "P1", weight: 50, html: "<p>one</p>" },
        { name: "P2", weight: 50, html: "<p>two</p>" },
      ],
    })
    .remoteMbox("server-only")
    .build();
}

afterEach(() => vi.useRealTimers());

describe("builder artifacts decide identically in our engine and in the reference", () => {
  const cases: [string, () => Artifact][] = [
    ["mixed A/B, XT, view, pageLoad artifact", mixedArtifact],
    ["bundled sample artifact", () => buildSampleArtifact() as Artifact],
  ];
  for (const [name, build] of cases) {
    it(name, async () => {
      const artifact = build();
      const client = String(artifact.meta?.clientCode);
      const organizationId = String(artifact.meta?.organizationId);
      const reference = await createReferenceClient(artifact, client, organizationId);
      const fetchApi = fakeFetch({ "POST https://": () => json({}) });
      const ours = TargetClient.create({
        client,
        organizationId,
        decisioningMethod: "on-device",
        artifactPayload: artifact,
        pollingInterval: 0,
        targetLocationHint: "28",
        telemetryEnabled: false,
        fetchApi,
      });
      await ours.ready({ timeout: 5000 });
      let matched = 0;
      try {
        for (const [i, input] of randomRequestsFor(artifact, 9001 + name.length, REQUESTS).entries()) {
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(Date.UTC(2024, 5, 1) + i * 3_600_000 * 7);
          const expected = await reference.getOffers(structuredClone(input));
          const actual = await ours.getOffers(structuredClone(input) as GetOffersOptions);
          vi.useRealTimers();
          expect(normalizeForComparison(actual.response), `request ${i}`).toEqual(normalizeForComparison(expected.response));
          if (JSON.stringify(actual.response).includes('"options":[{')) matched++;
        }
        await new Promise((r) => setTimeout(r, 20));
        await ours.flush();
        const ourNotifications = fetchApi.calls.filter((c) => c.method === "POST").flatMap((c) => c.body.notifications ?? []);
        const refNotifications = reference.notifications.flatMap((b) => b.notifications ?? []);
        expect(refNotifications.length).toBeGreaterThan(0);
        expect(notificationSet(ourNotifications)).toEqual(notificationSet(refNotifications));
        expect(matched).toBeGreaterThan(REQUESTS / 4);
      } finally {
        await ours.close();
        reference.stop();
      }
    });
  }
});
