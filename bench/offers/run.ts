/**
 * `npm run bench:offers`: offer decisioning at 1,000 activities × 10,000 offers with PQL rules and
 * caps (bench/offers/catalog.ts).
 *
 *  - in-process decisions per second on one core (the runtime with in-memory capping), next to a
 *    floor measured in the same run: the same loop deciding with eligibility rules switched off,
 *    so the cost of PQL is visible as a ratio;
 *  - index build from the snapshot, and the incremental update after one offer changes;
 *  - HTTP p99 latency at 32 requests in flight through the real endpoint (fastify on 127.0.0.1).
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
import { benchHttp } from "./http";
import { BENCH_NOW as NOW, createBenchRuntime, requestBody } from "./lib";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function decisionsPerSecond(runtime: OfferRuntime, catalog: BenchCatalog): Promise<number> {
  const bodies = Array.from({ length: 4096 }, (_, i) => requestBody(catalog, i));
  for (let i = 0; i < 2000; i++) await runtime.decide("bench", bodies[i % bodies.length]);
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const started = performance.now();
  while (performance.now() < end) {
    for (let j = 0; j < 256; j++, n++) await runtime.decide("bench", bodies[n % bodies.length]);
  }
  return Math.round(n / ((performance.now() - started) / 1000));
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

function indexTimings(catalog: BenchCatalog): { buildMs: number; warmMs: number; changeMs: number } {
  let t = performance.now();
  const index = DecisionIndex.fromSnapshot(catalog.snapshot, NOW);
  const buildMs = performance.now() - t;
  t = performance.now();
  for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
  const warmMs = performance.now() - t;
  const samples: number[] = [];
  for (let k = 0; k < 50; k++) {
    const offer = structuredClone(catalog.offerInstances[(k * 131) % catalog.offerInstances.length]!);
    offer["repo:etag"] += 1 + k;
    (offer._instance["xdm:rank"] as Record<string, number>)["xdm:priority"] = k % 10;
    t = performance.now();
    index.upsert(offer, NOW);
    samples.push(performance.now() - t);
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
    `index: build ${round(timings.buildMs)} ms, all candidate lists ${round(timings.warmMs)} ms, one offer change (max of 50) ${round(timings.changeMs)} ms`,
  );
  const index = DecisionIndex.fromSnapshot(catalog.snapshot, NOW);
  const withRules = await decisionsPerSecond(createBenchRuntime(catalog, index), catalog);
  const plain = withoutRules(catalog);
  const floor = await decisionsPerSecond(
    createBenchRuntime(plain, DecisionIndex.fromSnapshot(plain.snapshot, NOW)),
    plain,
  );
  console.log(
    `in-process: ${withRules} decisions/s with PQL rules and caps; ${floor}/s without rules (ratio ${round(withRules / floor)})`,
  );
  const http = await benchHttp(catalog, index);
  console.log(
    `HTTP at ${http.inFlight} in flight: ${http.requests} requests, ${http.perSecond}/s, p50 ${http.p50} ms, p99 ${http.p99} ms`,
  );
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
      decisionsPerSecond: withRules,
      withoutRulesPerSecond: floor,
      ratio: round(withRules / floor),
    },
    http,
  };
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "offers.json"), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
