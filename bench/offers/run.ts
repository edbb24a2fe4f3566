/**
 * `npm run bench:offers`: offer decisioning at 1,000 activities × 10,000 offers with PQL rules and
 * caps (bench/offers/catalog.ts).
 *
 *  - in-process decisions per second on one core (the runtime with in-memory capping), next to a
 *    floor measured in the same run: the same loop deciding with eligibility rules switched off,
 *    so the cost of PQL is visible as a ratio;
 *  - index build from the snapshot, and the incremental update after one offer changes;
 *  - HTTP p99 latency at 32 requests in flight through the real endpoint (fastify on 127.0.0.1),
 *    the server in one process; then the same load on 2 node:cluster workers (an additional row:
 *    the 2-core machine also runs the load generator, and each worker has its own capping counters);
 *    last the HTTP floor: the same load against fastify answering a canned decision of the same
 *    size, which shows what the HTTP stack and the load generator alone cost on this machine.
 *
 * Options (env): BENCH_SECONDS (default 5), BENCH_HTTP_REQUESTS (default 20000).
 * Results: bench/results/offers.json.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import type { OfferRuntime } from "../../src/offers/core/runtime";
import { buildCatalog, type BenchCatalog } from "./catalog";
import { benchHttp, type HttpResult } from "./http";
import { BENCH_NOW as NOW, createBenchRuntime, requestBody } from "./lib";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** Decisions per second of wall time and per second of this process's CPU time (one core). */
async function decisionsPerSecond(
  runtime: OfferRuntime,
  catalog: BenchCatalog,
): Promise<{ wall: number; cpu: number }> {
  const bodies = Array.from({ length: 4096 }, (_, i) => requestBody(catalog, i));
  for (let i = 0; i < 5000; i++) await runtime.decide("bench", bodies[i % bodies.length]);
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() < end) {
    for (let j = 0; j < 256; j++, n++) await runtime.decide("bench", bodies[n % bodies.length]);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wall: Math.round(n / ((performance.now() - started) / 1000)),
    cpu: Math.round(n / ((cpu.user + cpu.system) / 1e6)),
  };
}

function withoutRules(catalog: BenchCatalog): BenchCatalog {
  const instances = catalog.snapshot.instances.map((i) => {
    const sc = i._instance["xdm:selectionConstraint"] as Record<string, unknown> | undefined;
    if (!sc?.["xdm:eligibilityRule"]) return i;
    const { "xdm:eligibilityRule": _rule, ...rest } = sc;
    return { ...i, _instance: { ...i._instance, "xdm:selectionConstraint": rest } };
  });
  return { ...catalog, snapshot: { ...catalog.snapshot, instances } };
}

const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** CPU milliseconds: full build, building every candidate list, and the worst of 50 single-offer changes. */
function indexTimings(catalog: BenchCatalog): { buildMs: number; warmMs: number; changeMs: number } {
  let index!: DecisionIndex;
  const buildMs = cpuMs(() => (index = DecisionIndex.fromSnapshot(catalog.snapshot, NOW)));
  const warmMs = cpuMs(() => {
    for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
  });
  const samples: number[] = [];
  for (let k = 0; k < 50; k++) {
    const offer = structuredClone(catalog.offerInstances[(k * 131) % catalog.offerInstances.length]!);
    offer["repo:etag"] += 1 + k;
    (offer._instance["xdm:rank"] as Record<string, number>)["xdm:priority"] = k % 10;
    samples.push(cpuMs(() => index.upsert(offer, NOW)));
  }
  samples.sort((a, b) => a - b);
  return { buildMs, warmMs, changeMs: samples[samples.length - 1]! };
}

async function main(): Promise<void> {
  const catalog = buildCatalog();
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    `catalog: ${catalog.activities.length} activities, ${catalog.offerInstances.length} offers, ${catalog.snapshot.instances.length} instances`,
  );
  const timings = indexTimings(catalog);
  console.log(
    `index (CPU ms): build ${round(timings.buildMs)}, every candidate list ${round(timings.warmMs)}, one offer change (worst of 50) ${round(timings.changeMs)}`,
  );
  const index = DecisionIndex.fromSnapshot(catalog.snapshot, NOW);
  for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
  const withRules = await decisionsPerSecond(createBenchRuntime(catalog, index), catalog);
  const plain = withoutRules(catalog);
  const plainIndex = DecisionIndex.fromSnapshot(plain.snapshot, NOW);
  for (const a of plain.activities) plainIndex.candidates(plainIndex.activity(a.id)!, a.placement);
  const floor = await decisionsPerSecond(createBenchRuntime(plain, plainIndex), plain);
  console.log(
    `in-process: ${withRules.cpu} decisions per CPU-second (${withRules.wall}/s wall) with PQL rules and caps; ` +
      `${floor.cpu} per CPU-second without rules (ratio ${round(withRules.cpu / floor.cpu)})`,
  );
  const http = await benchHttp(catalog);
  const httpLine = (r: HttpResult, label: string) =>
    `HTTP at ${r.inFlight} in flight${label}: ${r.requests} requests, ${r.perSecond}/s, p50 ${r.p50} ms, p99 ${r.p99} ms`;
  console.log(httpLine(http, ""));
  const httpWorkers = await benchHttp(catalog, 32, 2);
  console.log(httpLine(httpWorkers, `, ${httpWorkers.workers} cluster workers`));
  const httpFloor = await benchHttp(catalog, 32, 1, true);
  console.log(httpLine(httpFloor, ", HTTP floor (fastify, canned decision)"));
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    catalog: { activities: catalog.activities.length, offers: catalog.offerInstances.length },
    index: {
      buildMs: round(timings.buildMs),
      candidateListsMs: round(timings.warmMs),
      oneOfferChangeMaxMs: round(timings.changeMs),
    },
    inProcess: {
      decisionsPerCpuSecond: withRules.cpu,
      decisionsPerWallSecond: withRules.wall,
      withoutRulesPerCpuSecond: floor.cpu,
      ratio: round(withRules.cpu / floor.cpu),
    },
    http,
    httpClusterWorkers: httpWorkers,
    httpFloor,
  };
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "offers.json"), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
