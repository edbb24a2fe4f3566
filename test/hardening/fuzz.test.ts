/**
 * Property-based fuzzing (fast-check) of everything untrusted: Delivery requests and call options
 * through the public client API, request bodies through the running service, and artifacts
 * through a real client. Properties, for every generated input:
 * - no untyped error: every failure is a DecisioningError, never ODE_ERR_INTERNAL;
 * - no 5xx from bad input: the service answers 2xx or a coded 4xx;
 * - no prototype pollution: Object.prototype gains nothing;
 * - no hang: every call settles within a few seconds.
 * Seeds are fixed so that CI runs reproduce; FUZZ_RUNS raises the number of runs locally.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { DecisioningError } from "../../src/errors";
import type { FetchLike } from "../../src/platform/http";
import { anArtifact, urlContains } from "../../src/testing/index";
import { fakeFetch, json } from "../support/fake-fetch";
import { artifactLike, artifactMutation, callOptions, deliveryRequest, validRequest, junk, nested, notification } from "./arbitraries";
import { startCapturedService, type CapturedService } from "./support";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const HANG_MS = 5000;

const MBOXES = ["hero", "remote-one", "target-global-mbox"];
const VIEWS = ["home", "cart"];

function baseArtifact(): any {
  return anArtifact({ client: "acme", organizationId: "ACME@AdobeOrg" })
    .abActivity({ id: 1, name: "A", mbox: "hero", experiences: [{ name: "A", json: { a: 1 } }, { name: "B", json: { b: 2 } }] })
    .xtActivity({
      id: 2,
      name: "X",
      mbox: "hero",
      experiences: [{ name: "S", audience: urlContains("sale"), html: "<b>${mbox.name}</b>" }, { name: "D", json: { d: 1 } }],
    })
    .remoteMbox("remote-one")
    .build();
}

function pollutionFree(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** Settles `p` (never throws): "ok", the DecisioningError, or fails the property on anything else. */
async function outcome(p: Promise<unknown>): Promise<"ok" | DecisioningError> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("hang")), HANG_MS)));
  try {
    await Promise.race([p, hang]);
    return "ok";
  } catch (err) {
    if (!DecisioningError.is(err)) throw new Error(`untyped error: ${String(err)}`, { cause: err });
    if (err.code === "ODE_ERR_INTERNAL") throw new Error(`internal error: ${err.message}`, { cause: err });
    return err;
  } finally {
    clearTimeout(timer);
  }
}

const upstreamFetch = (): FetchLike =>
  fakeFetch({ "POST https://": () => json({ status: 200, execute: { mboxes: [] } }), "GET https://": () => json({}) });

describe("fuzz: the client API", () => {
  let client: TargetClient;
  beforeAll(async () => {
    client = TargetClient.create({
      client: "acme",
      organizationId: "ACME@AdobeOrg",
      decisioningMethod: "hybrid",
      artifactPayload: baseArtifact(),
      pollingInterval: 0,
      targetLocationHint: "28",
      fetchApi: upstreamFetch(),
      logger: {},
    });
    await client.ready({ timeout: 5000 });
  });
  afterAll(() => client.close());

  it("getOffers, getAttributes and sendNotifications: typed errors only, no pollution, no hang", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(deliveryRequest(MBOXES, VIEWS), validRequest(MBOXES, VIEWS)),
        fc.oneof(callOptions, fc.constant({})),
        fc.constantFrom("on-device", "hybrid", "server-side", undefined),
        async (request, options, method) => {
          const call = { ...(options as object), request, ...(method ? { decisioningMethod: method } : {}) } as never;
          if ((await outcome(client.getOffers(call))) === "ok") accepted++;
          await outcome(client.getAttributes(["hero"], call));
          await outcome(client.sendNotifications(call));
          pollutionFree();
        },
      ),
      { numRuns: RUNS, seed: 1010 },
    );
    // The generator must reach the decision code, not only the validation.
    expect(accepted).toBeGreaterThan(RUNS / 10);
  });

  it("deep nesting anywhere is a coded rejection", async () => {
    const deep = nested(20_000, 1, "object");
    for (const request of [{ context: deep }, { id: deep }, { execute: { mboxes: [{ name: "hero", parameters: deep }] } }, { notifications: [deep] }]) {
      const result = await outcome(client.getOffers({ request } as never));
      expect(result).not.toBe("ok");
      expect((result as DecisioningError).code).toBe("ODE_ERR_INVALID_REQUEST");
    }
  });
});

describe("fuzz: the service", () => {
  let service: CapturedService;
  beforeAll(async () => {
    service = await startCapturedService({ method: "on-device", upstream: "off" }, {}, "error");
  });
  afterAll(() => service.close());

  async function post(body: string): Promise<{ status: number; json: any }> {
    const res = await service.app.inject({ method: "POST", url: "/rest/v1/delivery", payload: body, headers: { "content-type": "application/json" } });
    return { status: res.statusCode, json: res.json() };
  }

  const body = fc.oneof(
    { weight: 4, arbitrary: deliveryRequest(["hero", "banner"], ["home"]).map((r) => JSON.stringify(r) ?? "null") },
    { weight: 3, arbitrary: validRequest(["hero", "banner"], ["home"]).map((r) => JSON.stringify(r)) },
    { weight: 1, arbitrary: fc.record({ notifications: fc.array(notification, { maxLength: 3 }) }).map((r) => JSON.stringify(r)) },
    { weight: 1, arbitrary: junk.map((v) => JSON.stringify(v) ?? "") },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

  it("answers 2xx or a coded 4xx, never 5xx; no pollution; no hang", async () => {
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const { status, json: answer } = await post(text);
        expect(status, text).toBeLessThan(500);
        if (status === 200) decided++;
        if (status >= 400) expect(answer.code, text).toMatch(/^ODE_ERR_/);
        pollutionFree();
      }),
      { numRuns: RUNS * 2, seed: 2020 },
    );
    expect(decided).toBeGreaterThan(RUNS / 5);
  });

  it("answers 400 for the bodies of the adversarial review", async () => {
    const deep = (open: string, close: string) => `${open.repeat(20_000)}1${close.repeat(20_000)}`;
    const bodies = [
      '{"id":{"customerIds":[null]},"execute":{"mboxes":[{"name":"hero"}]}}',
      '{"id":{"tntId":"\\ud800"},"execute":{"mboxes":[{"name":"hero"}]}}',
      '{"execute":{"mboxes":[{"name":"\\udc00"}]}}',
      '{"prefetch":{"views":[{"name":"\\ud800"}]}}',
      `{"context":${deep('{"a":', "}")},"execute":{"mboxes":[{"name":"hero"}]}}`,
      `{"id":${deep("[", "]")},"execute":{"mboxes":[{"name":"hero"}]}}`,
      `{"notifications":[{"id":"n","type":"display","timestamp":1,"mbox":${deep('{"a":', "}")}}]}`,
    ];
    for (const text of bodies) {
      const { status, json: answer } = await post(text);
      expect(status, text.slice(0, 80)).toBe(400);
      expect(answer.code).toBe("ODE_ERR_INVALID_REQUEST");
    }
  });
});

/** Ordinary requests that reach every kind of rule of a fuzzed artifact. */
const ARTIFACT_PROBES = [
  { id: { tntId: "t1" }, execute: { pageLoad: {}, mboxes: [{ name: "hero", index: 1 }, { name: "x", index: 2 }] } },
  { id: { tntId: "t2" }, prefetch: { views: [{}], mboxes: [{ name: "hero", index: 1 }] }, context: { address: { url: "https://a.example/sale" } } },
];

describe("fuzz: artifacts through a real client", () => {
  it("a hostile artifact is rejected with a code or decides without untyped errors", async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(artifactLike(baseArtifact()), artifactMutation(baseArtifact())), async (artifact) => {
        const failures: unknown[] = [];
        let ready = false;
        const client = TargetClient.create({
          client: "acme",
          organizationId: "ACME@AdobeOrg",
          decisioningMethod: "on-device",
          artifactPayload: artifact,
          pollingInterval: 0,
          targetLocationHint: "28",
          fetchApi: upstreamFetch(),
          logger: {},
          events: { artifactDownloadFailed: (e: any) => failures.push(e.error), clientReady: () => (ready = true) },
        });
        try {
          const deadline = Date.now() + HANG_MS;
          while (!ready && failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
          expect(ready || failures.length > 0, "neither ready nor failed").toBe(true);
          for (const f of failures) {
            expect(DecisioningError.is(f), String(f)).toBe(true);
            expect((f as DecisioningError).code).not.toBe("ODE_ERR_INTERNAL");
          }
          if (ready) {
            loaded++;
            for (const request of ARTIFACT_PROBES) await outcome(client.getOffers({ request } as never));
          }
          pollutionFree();
        } finally {
          await client.close();
        }
      }),
      { numRuns: RUNS, seed: 3030 },
    );
    expect(loaded).toBeGreaterThan(0);
  });
});
