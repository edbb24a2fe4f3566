/**
 * `npm run bench:edge` — the edge entry's per-request cost inside workerd (Cloudflare's runtime,
 * through miniflare) next to Node, in the same run, plus the edge bundle's size.
 *
 * 1. Decisions: the same loop (bench/edge/loop.ts) with the same edge TargetClient and the
 *    production artifact, in Node and inside one workerd isolate; rounds alternate.
 * 2. HTTP: the same Delivery API handler served by workerd and by node:http; sequential requests
 *    over loopback with a keep-alive client, rounds alternate.
 *
 *   npm run bench:edge                 full run (~1 min)
 *   npm run bench:edge -- --quick      a few seconds
 *
 * Writes bench/results/edge.json. Numbers taken on a busy machine are noisy: compare the ratios.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { Agent, fetch as undiciFetch } from "undici";
import { buildEdgeBundle, buildRunnableBundle } from "../scripts/edge-bundle";
import { TargetClient, createDeliveryHandler } from "../src/edge";
import { runLoop, requestFor, type LoopInput, type LoopResult } from "./edge/loop";
import { serveWebHandler } from "./edge/node-server";
import { loadProductionArtifactText } from "./lib/artifacts";
import { summarize, type Stats } from "./lib/harness";

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Row {
  name: string;
  node: Stats;
  workerd: Stats;
  /** workerd mean / Node mean. */
  ratio: number;
  /** Inside an isolate performance.now() ticks in whole milliseconds: only the mean (elapsed / calls) is exact. */
  meanOnly: boolean;
}

function stats(results: LoopResult[]): Stats {
  return summarize({
    iterations: results.reduce((n, r) => n + r.iterations, 0),
    elapsedMs: results.reduce((n, r) => n + r.elapsedMs, 0),
    latenciesUs: results.flatMap((r) => r.latenciesUs),
  } as never);
}

async function decisions(mf: Miniflare, artifact: unknown, scenario: LoopInput["scenario"], quick: boolean): Promise<Row> {
  const input: LoopInput = { scenario, iterations: quick ? 300 : 3000, warmup: quick ? 100 : 1000 };
  const node: LoopResult[] = [];
  const workerd: LoopResult[] = [];
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    node.push(await runLoop(TargetClient, artifact, input));
    const res = await mf.dispatchFetch("http://bench/loop", { method: "POST", body: JSON.stringify(input) });
    if (res.status !== 200) throw new Error(`workerd loop failed: ${res.status} ${await res.text()}`);
    workerd.push((await res.json()) as LoopResult);
  }
  const row = { name: `getOffers ${scenario}`, node: stats(node), workerd: stats(workerd), meanOnly: true };
  return { ...row, ratio: perCall(row.workerd) / perCall(row.node) };
}

async function httpRound(url: string, agent: Agent, n: number, offset: number): Promise<LoopResult> {
  const latenciesUs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify(requestFor("execute-1", offset + i));
    const t0 = performance.now();
    const res = await undiciFetch(`${url}/rest/v1/delivery?client=bench`, { method: "POST", body, dispatcher: agent });
    await res.arrayBuffer();
    latenciesUs.push((performance.now() - t0) * 1000);
    if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}`);
  }
  return { iterations: n, elapsedMs: performance.now() - started, latenciesUs };
}

async function http(workerdUrl: string, artifact: unknown, quick: boolean): Promise<Row> {
  const client = TargetClient.create({
    client: "bench",
    organizationId: "bench@AdobeOrg",
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    targetLocationHint: "28",
    telemetryEnabled: false,
    fetchApi: async () => Response.json({}),
  });
  const node = await serveWebHandler(createDeliveryHandler({ client, clientCode: "bench", organizationId: "bench@AdobeOrg" }));
  const agent = new Agent({ connections: 1, keepAliveTimeout: 10_000 });
  const n = quick ? 200 : 2000;
  const nodeRuns: LoopResult[] = [];
  const workerdRuns: LoopResult[] = [];
  try {
    await httpRound(node.url, agent, 200, 0); // warm-up both
    await httpRound(workerdUrl, agent, 200, 0);
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      nodeRuns.push(await httpRound(node.url, agent, n, 1000 + round * n));
      workerdRuns.push(await httpRound(workerdUrl, agent, n, 1000 + round * n));
    }
  } finally {
    await agent.close();
    await node.close();
    await client.close();
  }
  const row = { name: "HTTP POST /rest/v1/delivery (execute 1 mbox)", node: stats(nodeRuns), workerd: stats(workerdRuns), meanOnly: false };
  return { ...row, ratio: perCall(row.workerd) / perCall(row.node) };
}

const us = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
/** Mean cost of one call in µs: elapsed time over calls (exact even with a coarse clock). */
const perCall = (s: Stats) => (s.elapsedMs * 1000) / s.iterations;

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const text = loadProductionArtifactText();
  const artifact = JSON.parse(text);
  const script = await buildRunnableBundle({ entry: path.join(HERE, "edge/worker.ts"), minify: true });
  const mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-04-20", kvNamespaces: ["ARTIFACTS"] });
  const rows: Row[] = [];
  try {
    const kv = (await mf.getKVNamespace("ARTIFACTS")) as unknown as { put(k: string, v: string): Promise<void> };
    await kv.put("rules.json", text);
    rows.push(await decisions(mf, artifact, "execute-1", quick));
    rows.push(await decisions(mf, artifact, "prefetch-5", quick));
    const workerdUrl = (await mf.ready).toString().replace(/\/$/, "");
    rows.push(await http(workerdUrl, artifact, quick));
  } finally {
    await mf.dispose();
  }
  const bundle = await buildEdgeBundle({ platform: "browser" });

  console.log(`bench:edge ${quick ? "(quick) " : ""}— Node ${process.version} vs workerd (miniflare), ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}`);
  console.log("| measure | Node µs per call (p50 / p99) | workerd µs per call (p50 / p99) | workerd / Node |");
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) {
    const f = (s: Stats, coarse: boolean) => `${us(perCall(s))}${coarse ? "" : ` (${us(s.p50Us)} / ${us(s.p99Us)})`}`;
    console.log(`| ${r.name} | ${f(r.node, false)} | ${f(r.workerd, r.meanOnly)} | ${r.ratio.toFixed(2)} |`);
  }
  console.log("(per call = elapsed / calls; inside workerd the clock ticks in whole ms, so no percentiles there)");
  console.log(`edge bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB minified, ${(bundle.gzipBytes / 1024).toFixed(1)} KiB min+gzip`);

  const out = path.join(HERE, "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, "edge.json"),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        quick,
        node: process.version,
        rows: rows.map((r) => ({ ...r, nodePerCallUs: perCall(r.node), workerdPerCallUs: perCall(r.workerd) })),
        bundle: { bytes: bundle.bytes, gzipBytes: bundle.gzipBytes },
      },
      null,
      2,
    ) + "\n",
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
