/**
 * Issue 10, item 10: requests whose mboxes or views have empty (or missing, or non-string) names
 * decide exactly as the reference (@adobe/target-nodejs-sdk 2.4.3): an `execute`/`prefetch` whose
 * every mbox is dropped still answers an empty `execute: {}` / `prefetch: {}`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { anArtifact, urlContains } from "../../src/testing/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { createReferenceClient, normalizeForComparison as normalize, type ReferenceClient } from "../support/reference";

const CLIENT_CODE = "someClientId";
const ORG_ID = "someOrgId";

const artifact = anArtifact({ client: CLIENT_CODE, organizationId: ORG_ID })
  .xtActivity({
    id: 11,
    name: "Hero",
    mbox: "hero",
    experiences: [
      { name: "Sale", audience: urlContains("sale"), json: { hero: "sale" } },
      { name: "Default", json: { hero: "default" } },
    ],
  })
  .remoteMbox("remote-one")
  .build();

const REQUESTS: [string, unknown][] = [
  ["execute mbox with an empty name", { execute: { mboxes: [{ name: "" }] } }],
  ["prefetch mbox with an empty name", { prefetch: { mboxes: [{ name: "" }] } }],
  ["execute mbox without a name", { execute: { mboxes: [{}] } }],
  ["execute mbox with a numeric name", { execute: { mboxes: [{ name: 5 }] } }],
  ["execute mbox null", { execute: { mboxes: [null] } }],
  ["empty and valid names mixed", { execute: { mboxes: [{ name: "" }, { name: "hero", index: 2 }] } }],
  ["empty names in execute and prefetch", { execute: { mboxes: [{ name: "", index: 1 }] }, prefetch: { mboxes: [{ name: "" }] } }],
  ["empty mbox name next to a pageLoad", { execute: { pageLoad: {}, mboxes: [{ name: "" }] } }],
  ["prefetch view with an empty name", { prefetch: { views: [{ name: "" }] } }],
  ["prefetch view and mbox with empty names", { prefetch: { mboxes: [{ name: "" }], views: [{ name: "" }] } }],
];

let reference: ReferenceClient;
let ours: TargetClient;
beforeAll(async () => {
  reference = await createReferenceClient(artifact, CLIENT_CODE, ORG_ID);
  ours = TargetClient.create({
    client: CLIENT_CODE,
    organizationId: ORG_ID,
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    pollingInterval: 0,
    targetLocationHint: "28",
    telemetryEnabled: false,
    fetchApi: fakeFetch({ "POST https://": () => json({}) }),
    logger: {},
  });
  await ours.ready({ timeout: 5000 });
});
afterAll(async () => {
  await ours.close();
  reference.stop();
});

describe("empty names decide as in the reference ", () => {
  for (const [name, request] of REQUESTS) {
    it(name, async () => {
      const input = { request: { requestId: "req-1", id: { tntId: "visitor-1" }, context: { channel: "web", address: { url: "https://a.example/sale" } }, ...(request as object) }, sessionId: "s1" };
      const expected = await reference.getOffers(structuredClone(input));
      const actual = await ours.getOffers(structuredClone(input) as never);
      expect(normalize(actual.response)).toEqual(normalize(expected.response));
      expect(actual.meta.remoteMboxes).toEqual(expected.meta.remoteMboxes);
      expect(actual.meta.remoteViews).toEqual(expected.meta.remoteViews);
    });
  }
});
