/**
 * CPU profile of the in-process decision loop of `npm run bench:offers` (with PQL rules and caps),
 * sampled through the inspector only while deciding, so the catalog and index build are left out.
 * Writes the .cpuprofile to bench/results/ and prints self and inclusive time per function.
 *
 *   npm run bench:offers:profile -- [seconds]
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import { formatProfile, summarizeProfile } from "../lib/cpu-profile";
import { ROOT } from "../lib/processes";
import { buildCatalog } from "./catalog";
import { BENCH_NOW, createBenchRuntime, requestBody } from "./lib";

const seconds = Number(process.argv[2] ?? 5);
const catalog = buildCatalog();
const index = DecisionIndex.fromSnapshot(catalog.snapshot, BENCH_NOW);
for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
const runtime = createBenchRuntime(catalog, index);
const bodies = Array.from({ length: 4096 }, (_, i) => requestBody(catalog, i));
for (let i = 0; i < 5000; i++) await runtime.decide("bench", bodies[i % bodies.length]);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.start");
const end = performance.now() + seconds * 1000;
let n = 0;
while (performance.now() < end) {
  for (let j = 0; j < 256; j++, n++) await runtime.decide("bench", bodies[n % bodies.length]);
}
const { profile } = await session.post("Profiler.stop");
session.disconnect();
const out = path.join(ROOT, "bench", "results");
mkdirSync(out, { recursive: true });
const file = path.join(out, "offers-decide.cpuprofile");
writeFileSync(file, JSON.stringify(profile));
console.log(`${n} decisions in ${seconds} s (${Math.round((seconds * 1e6) / n)} µs each, wall)\n`);
console.log(formatProfile(summarizeProfile(file, ROOT), 30));
