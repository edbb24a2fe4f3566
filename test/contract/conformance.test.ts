import { afterEach, describe, expect, it, vi } from "vitest";
import path from "node:path";
import { TargetClient } from "../../src/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { loadArtifact, readJson, suiteFiles } from "../support/shared";

/**
 * Runs every suite file in test/fixtures/conformance/suites (and in $ODD_CONFORMANCE_SUITES_DIR
 * when set) through the public TargetClient.getOffers: the artifact is downloaded through a routed fake fetchApi,
 * the clock frozen from mockDate, geo mocked, notification POSTs captured after flush().
 */

const ARTIFACT_URL = "https://assets.adobetarget.com/conformance/rules.json";
const PLACEHOLDERS: Record<string, unknown> = {
  "expect.any(Object)": expect.any(Object),
  "expect.any(String)": expect.any(String),
  "expect.any(Number)": expect.any(Number),
};

function hydrateExpected(value: unknown): unknown {
  if (typeof value === "string" && value in PLACEHOLDERS) return PLACEHOLDERS[value];
  if (Array.isArray(value)) return value.map(hydrateExpected);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hydrateExpected(v)]));
  }
  return value;
}

function resolveArtifact(value: unknown): unknown {
  return typeof value === "string" ? loadArtifact(value) : value;
}

afterEach(() => {
  vi.useRealTimers();
});

for (const file of suiteFiles()) {
  const suite = readJson(file);
  describe(`${path.basename(file, ".json")}: ${suite.description}`, () => {
    for (const [name, test] of Object.entries<any>(suite.test)) {
      it(`${name}: ${test.description ?? ""}`, async () => {
        const conf = test.conf ?? suite.conf ?? {};
        const artifact = resolveArtifact(test.artifact ?? suite.artifact);
        if (test.mockDate) {
          const d = test.mockDate;
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(Date.UTC(d.year, d.month, d.date, d.hours, d.minutes ?? 0, d.seconds ?? 0));
        }
        const fetchApi = fakeFetch({
          [`GET ${ARTIFACT_URL}`]: () => json(artifact, { headers: { etag: '"conformance"' } }),
          "GET https://assets.adobetarget.com/v1/geo": () => json(test.mockGeo ?? {}),
          "POST https://": () => json({}),
          "POST http://": () => json({}),
        });
        const client = TargetClient.create({
          ...conf,
          decisioningMethod: "on-device",
          fetchApi,
          artifactLocation: ARTIFACT_URL,
          artifactFormat: "json",
          targetLocationHint: "28",
        });
        try {
          await client.ready({ timeout: 5000 });
          const result = await client.getOffers(test.input);
          expect(result).toBeTypeOf("object");
          expect(result.response).toMatchObject(hydrateExpected(test.output ?? {}) as object);
          await client.flush();
          const posts = fetchApi.calls.filter((c) => c.method === "POST");
          if (test.notificationOutput === null) {
            expect(posts).toHaveLength(0);
          } else if (test.notificationOutput !== undefined) {
            expect(posts).toHaveLength(1);
            expect({ request: posts[0]!.body }).toMatchObject(hydrateExpected(test.notificationOutput) as object);
          }
        } finally {
          await client.close();
        }
      });
    }
  });
}
