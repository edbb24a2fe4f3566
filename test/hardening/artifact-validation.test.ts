/**
 * Issue 10, item 5: the whole artifact is validated before it may replace the one in use (depth of
 * every part, well-formed strings), not only its conditions. Real HTTP artifact location on
 * 127.0.0.1, polled by a real client.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { validateArtifact, MAX_ARTIFACT_DEPTH } from "../../src/artifact/parse";
import { DecisioningError } from "../../src/errors";
import { anArtifact } from "../../src/testing/index";
import { waitFor } from "../remote/stub-server";
import { CLIENT, ORG, memoryLogger } from "../client/support";
import { nested } from "./arbitraries";

const good = () =>
  anArtifact({ client: CLIENT, organizationId: ORG })
    .abActivity({ id: 1, name: "A", mbox: "hero", experiences: [{ name: "Only", json: { hero: "good" } }] })
    .build() as any;

/** The good artifact with `mutate` applied to its only hero rule. */
function hostile(mutate: (rule: any) => void): any {
  const artifact = good();
  mutate(artifact.rules.mboxes.hero[0]);
  return artifact;
}

const DEEP = 20_000;
const cases: [string, () => any][] = [
  ["option content nested 20,000 deep", () => hostile((r) => (r.consequence.options[0].content = nested(DEEP, "x", "object")))],
  ["a consequence key nested 20,000 deep", () => hostile((r) => (r.consequence.extra = nested(DEEP)))],
  ["rule meta nested 20,000 deep", () => hostile((r) => (r.meta.deep = nested(DEEP)))],
  ["a metric nested 20,000 deep", () => hostile((r) => (r.consequence.metrics = [{ type: "click", selector: nested(DEEP) }]))],
  ["artifact meta nested 20,000 deep", () => ({ ...good(), meta: { deep: nested(DEEP) } })],
  ["a lone surrogate in an option", () => hostile((r) => (r.consequence.options[0].content = { t: "a\uD800b" }))],
  ["a lone surrogate in an mbox name", () => ({ ...good(), localMboxes: ["hero", "\uDC00"] })],
];

describe("validateArtifact covers every part", () => {
  for (const [name, make] of cases) {
    it(`rejects ${name} with ODE_ERR_ARTIFACT_INVALID`, () => {
      let error: unknown;
      try {
        validateArtifact(make());
      } catch (e) {
        error = e;
      }
      expect(DecisioningError.is(error)).toBe(true);
      expect((error as DecisioningError).code).toBe("ODE_ERR_ARTIFACT_INVALID");
      expect((error as DecisioningError).details?.path).toMatch(/^\$/);
    });
  }

  it("rejects a cyclic payload object instead of looping", () => {
    const a = good();
    a.rules.mboxes.hero[0].consequence.self = a.rules.mboxes.hero[0].consequence;
    expect(() => validateArtifact(a)).toThrow(expect.objectContaining({ code: "ODE_ERR_ARTIFACT_INVALID" }));
  });

  it("accepts nesting up to the limit (a condition at the compiler's own limit fits)", () => {
    let condition: unknown = true;
    for (let i = 0; i < 200; i++) condition = { and: [condition] };
    const a = hostile((r) => (r.condition = condition));
    expect(() => validateArtifact(a)).not.toThrow();
    expect(MAX_ARTIFACT_DEPTH).toBeGreaterThan(400);
  });
});

let server: Server | undefined;
const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe("a bad artifact never replaces a good one (real polling client)", () => {
  it("keeps deciding with the good artifact and reports artifactDownloadFailed with a code", async () => {
    let body = JSON.stringify(good());
    let etag = '"good"';
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", etag });
      res.end(body);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const failures: DecisioningError[] = [];
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORG,
      decisioningMethod: "on-device",
      artifactLocation: `http://127.0.0.1:${port}/rules.json`,
      targetLocationHint: "28",
      pollingInterval: 1000,
      logger: memoryLogger().logger,
      events: { artifactDownloadFailed: (e: any) => failures.push(e.error) },
    });
    clients.push(client);
    await client.ready({ timeout: 5000 });
    const decide = () => client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    expect((await decide()).response.execute!.mboxes![0]!.options![0]!.content).toEqual({ hero: "good" });

    // JSON text 20,000 levels deep parses fine; it must not be adopted.
    const bad = good();
    bad.rules.mboxes.hero[0].consequence.options[0].content = "DEEP-MARK";
    body = JSON.stringify(bad).replace('"DEEP-MARK"', `${'{"a":'.repeat(DEEP)}"x"${"}".repeat(DEEP)}`);
    etag = '"bad"';
    await waitFor(() => failures.length > 0, 5000);
    expect(failures[0]!.code).toBe("ODE_ERR_ARTIFACT_INVALID");
    expect(client.status().artifact!.etag).toBe('"good"');
    expect((await decide()).response.execute!.mboxes![0]!.options![0]!.content).toEqual({ hero: "good" });
  });
});
