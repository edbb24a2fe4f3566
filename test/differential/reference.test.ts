import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TargetClient } from "../../src/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { artifactNames, loadArtifact } from "../support/shared";
import { createRandom, URLS, USER_AGENTS, WORDS, type Random } from "../support/random";
import { createReferenceClient, normalizeForComparison as normalize, notificationSet } from "../support/reference";

/**
 * Differential test: our client and the published reference (@adobe/target-nodejs-sdk 2.4.3) decide
 * the same seeded random requests over every shared artifact; responses and display notifications
 * must be identical (ids that are random by definition are masked).
 */

const REQUESTS_PER_ARTIFACT = Number(process.env.ODD_DIFF_REQUESTS ?? 150);

function mboxNames(artifact: any): string[] {
  return Object.keys(artifact?.rules?.mboxes ?? {});
}
function viewNames(artifact: any): string[] {
  return Object.keys(artifact?.rules?.views ?? {});
}
function paramNames(artifact: any): string[] {
  const names = new Set<string>();
  JSON.stringify(artifact?.rules ?? {}).replace(/"mbox\.([A-Za-z0-9_.]+?)(?:_lc)?"/g, (_, n: string) => {
    names.add(n);
    return "";
  });
  return [...names];
}
function propertyTokens(artifact: any): string[] {
  const tokens = new Set<string>();
  for (const group of [artifact?.rules?.mboxes, artifact?.rules?.views]) {
    for (const rules of Object.values<any>(group ?? {})) for (const r of rules) for (const t of r.propertyTokens ?? []) tokens.add(t);
  }
  return [...tokens];
}

function randomDetail(r: Random, params: string[]): Record<string, unknown> {
  const detail: Record<string, unknown> = {};
  if (r.chance(0.6) && params.length > 0) {
    const parameters: Record<string, unknown> = {};
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) parameters[r.pick(params)] = r.chance(0.8) ? r.pick(WORDS) : r.int(100);
    detail.parameters = parameters;
  }
  if (r.chance(0.15)) detail.address = { url: r.pick(URLS) };
  return detail;
}

function randomRequest(r: Random, artifact: any, i: number): any {
  const mboxes = [...mboxNames(artifact), "unknown-mbox", artifact.globalMbox ?? "target-global-mbox"];
  const views = viewNames(artifact);
  const params = [...paramNames(artifact), "foo", "a.b"];
  const tokens = propertyTokens(artifact);
  const id: Record<string, unknown> = {};
  const kind = r.int(5);
  if (kind === 0) id.marketingCloudVisitorId = String(10n ** 37n + BigInt(r.int(1e9)) * 7919n);
  if (kind === 1) id.tntId = `${r.hex(32)}${r.chance(0.5) ? `.${r.int(40)}_0` : ""}`;
  if (kind === 2) id.thirdPartyId = `tp-${r.hex(12)}${r.chance(0.3) ? ".5_0" : ""}`;
  if (kind === 3) {
    id.tntId = r.hex(32);
    id.customerIds = [{ id: r.hex(8), integrationCode: "crm", authenticatedState: "authenticated" }];
  }
  if (kind === 4) {
    id.marketingCloudVisitorId = r.hex(20);
    id.tntId = r.hex(32);
  }
  const context: Record<string, unknown> = { channel: "web" };
  if (r.chance(0.9)) context.address = { url: r.pick(URLS), ...(r.chance(0.5) ? { referringUrl: r.pick(URLS) } : {}) };
  if (r.chance(0.9)) context.userAgent = r.pick(USER_AGENTS);
  if (r.chance(0.2)) context.clientHints = { browserUAWithMajorVersion: '"Chromium";v="118", "Google Chrome";v="118"', platform: r.pick(["Windows", "macOS", "Android"]) };
  if (r.chance(0.4)) {
    context.geo = {
      city: r.pick(["SAN FRANCISCO", "Bucharest", "New York"]),
      countryCode: r.pick(["US", "RO", "UNITED STATES"]),
      stateCode: r.pick(["CA", "B", "NY"]),
      latitude: 37.75,
      longitude: -122.4,
    };
  }
  const request: any = { requestId: `req-${i}`, id, context };
  if (r.chance(0.3)) request.trace = {};
  if (tokens.length > 0 && r.chance(0.6)) request.property = { token: r.chance(0.8) ? r.pick(tokens) : "unknown-token" };
  const pickMboxes = () =>
    Array.from({ length: 1 + r.int(3) }, (_, k) => ({ name: r.chance(0.05) ? "" : r.pick(mboxes), index: k + 1, ...randomDetail(r, params) }));
  if (r.chance(0.6)) {
    request.execute = {};
    if (r.chance(0.8)) request.execute.mboxes = pickMboxes();
    if (r.chance(0.3) || !request.execute.mboxes) request.execute.pageLoad = randomDetail(r, params);
  }
  if (r.chance(0.5) || !request.execute) {
    request.prefetch = {};
    if (r.chance(0.5)) request.prefetch.mboxes = pickMboxes();
    if (views.length > 0 && r.chance(0.5)) {
      request.prefetch.views = r.chance(0.4) ? [{ ...randomDetail(r, params) }] : [{ name: r.pick([...views, "no-such-view", ""]), ...randomDetail(r, params) }];
    }
    if (r.chance(0.3) || (!request.prefetch.mboxes && !request.prefetch.views)) request.prefetch.pageLoad = randomDetail(r, params);
  }
  return request;
}

const SKIP = new Set(["TEST_ARTIFACT_UNSUPPORTED", "TEST_ARTIFACT_BLANK"]);

let notificationsCompared = 0;

describe("differential against @adobe/target-nodejs-sdk 2.4.3", () => {
  afterAll(() => {
    // The comparison above must have compared real impressions, not two empty lists.
    expect(notificationsCompared).toBeGreaterThan(100);
  });

  const dates = [Date.UTC(2020, 2, 25, 1, 5), Date.UTC(2021, 1, 19, 19, 7), Date.UTC(2024, 6, 4, 23, 59), Date.UTC(2019, 0, 1, 0, 0)];

  afterAll(() => vi.useRealTimers());
  beforeAll(() => vi.useRealTimers());

  for (const name of artifactNames().filter((n) => !SKIP.has(n))) {
    it(`decides ${name} identically`, async () => {
      const artifact = loadArtifact(name);
      const snapshot = JSON.stringify(artifact);
      const conf = { client: name.includes("PROPERT") || name.includes("MACROS") ? "targettesting" : "someClientId", organizationId: "someOrgId" };
      const reference = await createReferenceClient(artifact, conf.client, conf.organizationId);
      const ourFetch = fakeFetch({ "POST https://": () => json({}) });
      const ours = TargetClient.create({
        ...conf,
        decisioningMethod: "on-device",
        artifactPayload: artifact,
        pollingInterval: 0,
        targetLocationHint: "28",
        telemetryEnabled: false,
        fetchApi: ourFetch,
      });
      await ours.ready({ timeout: 5000 });
      const r = createRandom(0x5eed ^ name.length * 7919);
      let compared = 0;
      try {
        for (let i = 0; i < REQUESTS_PER_ARTIFACT; i++) {
          const request = randomRequest(r, artifact, i);
          const input = { request, sessionId: "session-1" };
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(r.pick(dates) + r.int(86_400_000));
          let expected: any;
          let actual: any;
          let refError: unknown;
          let ourError: unknown;
          try {
            expected = await reference.getOffers(structuredClone(input));
          } catch (e) {
            refError = e;
          }
          try {
            actual = await ours.getOffers(structuredClone(input));
          } catch (e) {
            ourError = e;
          }
          vi.useRealTimers();
          if (refError) {
            // The reference rejects on some malformed-artifact paths we handle (documented in the README).
            continue;
          }
          expect(ourError, `request ${i}: ${JSON.stringify(request)}`).toBeUndefined();
          expect(normalize(actual.response), `request ${i}: ${JSON.stringify(request)}`).toEqual(normalize(expected.response));
          expect(actual.meta.remoteMboxes).toEqual(expected.meta.remoteMboxes);
          expect(actual.meta.remoteViews).toEqual(expected.meta.remoteViews);
          compared++;
        }
        await new Promise((res) => setTimeout(res, 20));
        await ours.flush();
        const ourNotifications = ourFetch.calls.filter((c) => c.method === "POST").flatMap((c) => c.body.notifications ?? []);
        const refFlat = reference.notifications.flatMap((b) => b.notifications ?? []);
        expect(notificationSet(ourNotifications)).toEqual(notificationSet(refFlat));
        notificationsCompared += refFlat.length;
        expect(JSON.stringify(artifact)).toBe(snapshot);
        expect(compared).toBeGreaterThan(REQUESTS_PER_ARTIFACT * 0.9);
      } finally {
        await ours.close();
        reference.stop();
      }
    });
  }
});
