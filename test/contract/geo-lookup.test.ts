import { describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { createReferenceClient } from "../support/reference";
import { loadArtifact } from "../support/shared";

/**
 * The IP→geo path (docs/target-behaviour.md#geo) against the reference: a request that carries only an ipAddress is
 * resolved through `GET https://assets.adobetarget.com/v1/geo` (served here by the fake fetchApi,
 * and by a patched global fetch for the reference, which ignores fetchApi for geo), then decided.
 */

const GEO_BODY = {
  "x-forwarded-for": "30.60.90.12",
  "x-geo-country-code": "US",
  "x-geo-region-code": "CA",
  "x-geo-city": "SANFRANCISCO",
  "x-geo-latitude": 37.75,
  "x-geo-longitude": -122.4,
};

const request = (ipAddress: string) => ({
  id: { tntId: "338e3c1e51f7416a8e1ccba4f81acea0.28_0", marketingCloudVisitorId: "07327024324407615852294135870030620007" },
  context: { channel: "web", geo: { ipAddress } },
  execute: { mboxes: [{ name: "mbox-geography", index: 1 }] },
});

describe("geo lookup by IP", () => {
  it("resolves the IP before evaluation and decides as the reference does", async () => {
    const artifact = loadArtifact("TEST_ARTIFACT_GEO");
    const fetchApi = fakeFetch({
      "GET https://assets.adobetarget.com/v1/geo": () => json(GEO_BODY),
      "POST https://": () => json({}),
    });
    const geoEvents: unknown[] = [];
    const ours = TargetClient.create({
      client: "someClientId",
      organizationId: "someOrgId",
      decisioningMethod: "on-device",
      artifactPayload: artifact,
      pollingInterval: 0,
      targetLocationHint: "28",
      telemetryEnabled: false,
      fetchApi,
      events: { geoLocationUpdated: (e) => geoEvents.push(e) },
    });
    await ours.ready();
    const result = await ours.getOffers({ request: request("30.60.90.12") });
    await ours.close();

    const geoCall = fetchApi.calls.find((c) => c.url.endsWith("/v1/geo"));
    expect(geoCall?.headers["x-forwarded-for"]).toBe("30.60.90.12");
    expect(geoEvents).toHaveLength(1);

    // The reference looks geo up with the fetch it captured at load time (not fetchApi), so it is
    // given the resolved geo directly: our lookup + mapping must lead to the same decision.
    const reference = await createReferenceClient(artifact, "someClientId", "someOrgId");
    const resolved = request("30.60.90.12");
    resolved.context.geo = {
      ipAddress: "30.60.90.12",
      countryCode: "US",
      stateCode: "CA",
      city: "SANFRANCISCO",
      latitude: 37.75,
      longitude: -122.4,
    } as any;
    const expected = await reference.getOffers({ request: resolved });
    reference.stop();
    const strip = (r: any) => JSON.parse(JSON.stringify(r.response.execute));
    expect(strip(result)).toEqual(strip(expected));
    expect(result.response.execute?.mboxes?.[0]?.options?.[0]?.responseTokens).toMatchObject({
      "geo.city": "SANFRANCISCO",
      "geo.country": "US",
      "geo.state": "CA",
    });
  });

  it("decides without geo when the lookup fails", async () => {
    const fetchApi = fakeFetch({
      "GET https://assets.adobetarget.com/v1/geo": () => new Response("boom", { status: 500 }),
      "POST https://": () => json({}),
    });
    const client = TargetClient.create({
      client: "someClientId",
      organizationId: "someOrgId",
      decisioningMethod: "on-device",
      artifactPayload: loadArtifact("TEST_ARTIFACT_GEO"),
      pollingInterval: 0,
      targetLocationHint: "28",
      fetchApi,
    });
    await client.ready();
    const result = await client.getOffers({ request: request("30.60.90.12") });
    await client.close();
    expect(result.response.execute?.mboxes).toEqual([{ name: "mbox-geography", index: 1 }]);
  });
});
