/**
 * The edge entry inside Deno (the binary of the `deno` npm package, run offline with only the
 * permissions each script needs): the conformance suites decided as in Node, and the Deno example
 * server answering the Delivery API from an artifact downloaded over HTTP (ETag), with
 * notifications sent after the response.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRunnableBundle } from "../../scripts/edge-bundle";
import { TargetClient as NodeTargetClient } from "../../src/index";
import { conformanceCases, expectConformance, normalizeOutcome } from "../support/conformance-cases";
import { runDeno, runtimeGate, startDeno, tempDir, type DenoProcess } from "../support/runtimes";
import { loadArtifact } from "../support/shared";
import { runConformanceCase } from "./fixtures/conformance-runner";
import { deliveryRequest, nodeDecision, publishedBrowserModule } from "./support";
import { startServer } from "./support-server";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const gate = runtimeGate("deno");

describe.skipIf(gate.skip)("edge entry in Deno", () => {
  const tmp = tempDir("odd-deno-");
  const importMap = path.join(tmp.dir, "import-map.json");

  beforeAll(() => {
    // The example imports the published self-contained module (dist/browser; `npm test` builds first).
    copyFileSync(publishedBrowserModule(), path.join(tmp.dir, "edge.js"));
    writeFileSync(importMap, JSON.stringify({ imports: { "on-device-decisioning/edge": "./edge.js" } }));
  });

  afterAll(() => tmp.remove());

  it("decides every conformance case exactly as Node does", async () => {
    const now = Date.now();
    const cases = conformanceCases();
    const inputs = cases.map((c) => ({ ...c.input, now }));
    const casesFile = path.join(tmp.dir, "cases.json");
    writeFileSync(casesFile, JSON.stringify(inputs));
    const script = path.join(tmp.dir, "conformance.js");
    writeFileSync(script, await buildRunnableBundle({ entry: path.join(HERE, "fixtures/conformance-cli.ts") }));
    const out = await runDeno(script, { args: [`--allow-read=${casesFile}`], scriptArgs: [casesFile], cwd: tmp.dir });
    const outcomes = JSON.parse(out) as any[];
    expect(outcomes).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      expectConformance(c, outcomes[i]);
      const node = JSON.parse(JSON.stringify(await runConformanceCase(NodeTargetClient, inputs[i]!)));
      expect(normalizeOutcome(outcomes[i]), c.name).toEqual(normalizeOutcome(node));
    }
  });

  describe("the example server (examples/deno/server.ts)", () => {
    const artifact = loadArtifact("TEST_ARTIFACT_AB_SIMPLE");
    let upstream: Awaited<ReturnType<typeof startServer>>;
    let deno: DenoProcess;
    let base: string;

    beforeAll(async () => {
      upstream = await startServer({
        "GET /rules.json": (req, _body, res) => {
          if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304).end();
          res.writeHead(200, { "content-type": "application/json", etag: '"v1"' }).end(JSON.stringify(artifact));
        },
        "POST /rest/v1/delivery": async (_req, _body, res) => {
          await new Promise((r) => setTimeout(r, 400));
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        },
      });
      const host = upstream.url.replace("http://", "");
      deno = await startDeno(path.join(ROOT, "examples/deno/server.ts"), {
        args: [
          `--import-map=${importMap}`,
          `--allow-net=127.0.0.1`,
          "--allow-env=TARGET_CLIENT,TARGET_ORGANIZATION_ID,TARGET_ARTIFACT_URL,TARGET_SERVER_DOMAIN,TARGET_SECURE,HOSTNAME,PORT",
        ],
        cwd: tmp.dir,
        env: {
          TARGET_CLIENT: "someClientId",
          TARGET_ORGANIZATION_ID: "someOrgId",
          TARGET_ARTIFACT_URL: `${upstream.url}/rules.json`,
          TARGET_SERVER_DOMAIN: host,
          TARGET_SECURE: "false",
          PORT: "0",
        },
      });
      base = /listening on (http:\/\/\S+)/.exec(deno.firstLine)![1]!;
    }, 60_000);

    afterAll(async () => {
      await deno?.stop();
      await upstream?.close();
    });

    it("answers Delivery API requests from the artifact, downloaded once and reused", async () => {
      const body = deliveryRequest({ execute: { mboxes: [{ name: "mbox-magician", index: 1 }] } });
      const before = upstream.calls.length;
      const res = await fetch(`${base}/rest/v1/delivery?client=someClientId&sessionId=s-2`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const respondedAt = Date.now();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-odd-decisioning-method")).toBe("on-device");
      const response = (await res.json()) as any;
      const node = await nodeDecision(NodeTargetClient, artifact, body, "s-2");
      expect(normalizeOutcome(response)).toEqual(normalizeOutcome(node));

      // The display notification goes to the configured server after the answer.
      await expect.poll(() => upstream.calls.slice(before).find((c) => c.method === "POST" && c.answeredAt), { timeout: 5000 }).toBeTruthy();
      const sent = upstream.calls.slice(before).find((c) => c.method === "POST")!;
      const url = new URL(sent.url, upstream.url);
      expect(url.pathname).toBe("/rest/v1/delivery");
      expect(url.searchParams.get("sessionId")).toBe("s-2");
      expect(sent.body.notifications[0]).toMatchObject({ type: "display", mbox: { name: "mbox-magician" } });
      expect(respondedAt).toBeLessThan(sent.answeredAt!);

      // A second request reuses the compiled artifact: no second download.
      const again = await fetch(`${base}/rest/v1/delivery`, { method: "POST", body: JSON.stringify(body) });
      expect(again.status).toBe(200);
      await again.arrayBuffer();
      expect(upstream.calls.filter((c) => c.url === "/rules.json")).toHaveLength(1);
    });

    it("answers bad input with coded 4xx responses", async () => {
      const res = await fetch(`${base}/rest/v1/delivery`, { method: "POST", body: "[]" });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "ODE_ERR_INVALID_REQUEST" });
    });
  });
});
