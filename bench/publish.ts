/**
 * `npm run bench:publish` — compile and publish cost of authored activities, and artifact size, for
 * 10, 100 and 1,000 activities (half A/B, half XT, two to three audiences each, geo/page/param/
 * browser/time rules, composites). Each size reports:
 *   - compile: compileArtifact (snapshot → artifact object), median of the runs;
 *   - floor:   JSON.stringify of the compiled artifact, the least any publisher must spend on it;
 *   - build:   compile + JSON text + SHA-256 + rules.bin (what is stored per artifact);
 *   - publish: a full publish through the publisher into the in-memory and the SQLite store;
 *   - size of rules.json and rules.bin.
 * Ratios (compile / floor) are measured in the same run, so they survive a loaded machine.
 *
 *   npm run bench:publish                  sizes 10, 100, 1000
 *   npm run bench:publish -- --sizes 10,100 --runs 3
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Activity, Audience, Offer, TenantSnapshot } from "../src/admin/model";
import { createAdminRuntime, openAdminStore } from "../src/admin/index";
import type { AdminStore } from "../src/admin/store";
import { compileArtifact } from "../src/publish/compiler/compile";
import { buildArtifact } from "../src/publish/publisher";
import { DEFAULT_RESPONSE_TOKENS } from "../src/testing/builder";
import { machine, machineLine } from "./lib/report";

const T0 = "2026-01-01T00:00:00.000Z";
const RULES: unknown[] = [
  { page: "url", contains: ["sale"] },
  { browser: "type", equals: ["chrome", "firefox"] },
  { geo: "country", equals: ["US", "CA"] },
  { mbox: "*", parameter: "plan", equalsIgnoreCase: ["gold"] },
  { and: [{ page: "path", startsWith: ["/shop"] }, { not: { operatingSystem: "name", equals: ["ios"] } }] },
  { timeFrame: { days: [1, 2, 3, 4, 5], startTime: "08:00", endTime: "18:00", timezoneOffsetMinutes: 60 } },
  { geo: "latitude", greaterThan: ["37.7"] },
];

/** A tenant with `n` activities over n/4 mboxes, n/2 audiences and n offers. */
export function syntheticTenant(n: number): TenantSnapshot {
  const audiences: Audience[] = [];
  const audienceCount = Math.max(4, Math.floor(n / 2));
  for (let id = 1; id <= audienceCount; id++) {
    const base = { id, name: `audience ${id}`, origin: "target" as const, type: "reusable" as const, status: "saved" as const, createdAt: T0, modifiedAt: T0 };
    audiences.push(id % 5 === 0 ? { ...base, audienceRule: { restRuleOperator: "OR", rules: [{ audienceId: id - 1 }, { audienceId: id - 2 }] } } : { ...base, targetRule: RULES[id % RULES.length] });
  }
  const offers: Offer[] = Array.from({ length: n }, (_, i) => ({ id: i + 1, type: i % 2 ? "json" : "content", name: `offer ${i + 1}`, content: i % 2 ? { headline: `H${i}`, items: [1, 2, 3] } : `<div class="hero">Offer ${i}</div>`, createdAt: T0, modifiedAt: T0 }));
  const activities: Activity[] = [];
  for (let id = 1; id <= n; id++) {
    const ab = id % 2 === 0;
    const mbox = `mbox-${id % Math.max(1, Math.floor(n / 4))}`;
    const aud = (k: number) => 1 + ((id * 7 + k) % audienceCount);
    const experiences = Array.from({ length: 3 }, (_, e) => ({
      experienceLocalId: e,
      name: `E${e}`,
      audienceIds: ab ? [] : e < 2 ? [aud(e)] : [],
      ...(ab ? { visitorPercentage: [34, 33, 33][e]! } : {}),
      optionLocations: [{ locationLocalId: 0, optionLocalId: e + 1 }],
    }));
    activities.push({
      id,
      type: ab ? "ab" : "xt",
      name: `activity ${id}`,
      state: "approved",
      priority: id % 10,
      propertyIds: [],
      locations: { mboxes: [{ locationLocalId: 0, name: mbox, audienceIds: ab ? [aud(3)] : [] }] },
      options: [1, 2, 3].map((o) => ({ optionLocalId: o, offerId: 1 + ((id + o) % n) })),
      experiences,
      metrics: [],
      legacy: false,
      ...(id % 3 === 0 ? { startsAt: "2026-02-01T00:00:00.000Z", endsAt: "2027-02-01T00:00:00.000Z" } : {}),
      createdAt: T0,
      modifiedAt: T0,
    });
  }
  return {
    tenant: "bench",
    activities,
    audiences,
    offers,
    environments: [{ id: 1, name: "production", createdAt: T0 }],
    properties: [],
    responseTokens: DEFAULT_RESPONSE_TOKENS.map((name) => ({ name, status: "active" as const, createdAt: T0 })),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (from: number) => Math.round((performance.now() - from) * 100) / 100;

function timeRuns(runs: number, fn: () => void): number {
  fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    samples.push(ms(started));
  }
  return median(samples);
}

/** Loads the snapshot into a store (as the Admin API would have) and times publisher.publish. */
async function timePublish(store: AdminStore, snapshot: TenantSnapshot, runs: number): Promise<number> {
  await store.transaction(snapshot.tenant, async (tx) => {
    await tx.put("tenant", "tenant", { createdAt: T0 });
    const kinds: [Parameters<typeof tx.put>[0], { id: number }[]][] = [["activity", snapshot.activities], ["audience", snapshot.audiences], ["offer", snapshot.offers], ["environment", snapshot.environments]];
    for (const [kind, docs] of kinds) for (const doc of docs) await tx.put(kind, String(doc.id), doc as never);
    for (const t of snapshot.responseTokens) await tx.put("responseToken", t.name, t as never);
  });
  const runtime = createAdminRuntime({ store });
  const samples: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      // Touch one activity so every run really writes a new artifact.
      await store.transaction(snapshot.tenant, async (tx) => {
        const a = (await tx.get("activity", "1"))!;
        await tx.put("activity", "1", { ...a, name: `activity 1 run ${i}` });
      });
      const started = performance.now();
      await runtime.publisher.publish(snapshot.tenant);
      if (i > 0) samples.push(ms(started));
    }
  } finally {
    await runtime.close();
  }
  return median(samples);
}

export interface PublishBenchRow {
  activities: number;
  rules: number;
  compileMs: number;
  floorMs: number;
  compileToFloor: number;
  buildMs: number;
  publishMemoryMs: number;
  publishSqliteMs: number;
  jsonBytes: number;
  binBytes: number;
}

export async function runPublishBench(sizes: number[], runs: number, log: (line: string) => void = console.log): Promise<PublishBenchRow[]> {
  const rows: PublishBenchRow[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "odd-bench-publish-"));
  try {
    for (const n of sizes) {
      const snapshot = syntheticTenant(n);
      const options = { environment: "production", now: Date.parse("2026-06-01T00:00:00Z") };
      let artifact = compileArtifact(snapshot, options);
      const compileMs = timeRuns(runs, () => (artifact = compileArtifact(snapshot, options)));
      const floorMs = timeRuns(runs, () => JSON.stringify(artifact));
      let built = buildArtifact(snapshot, "production", "", options.now, "BENCH@AdobeOrg");
      const buildMs = timeRuns(runs, () => (built = buildArtifact(snapshot, "production", "", options.now, "BENCH@AdobeOrg")));
      const publishMemoryMs = await timePublish(await openAdminStore("memory:"), snapshot, runs);
      const publishSqliteMs = await timePublish(await openAdminStore(`sqlite:${path.join(dir, `bench-${n}.db`)}`), snapshot, runs);
      const rules = Object.values(artifact.rules.mboxes ?? {}).reduce((s, r) => s + r.length, 0);
      const row: PublishBenchRow = {
        activities: n,
        rules,
        compileMs,
        floorMs,
        compileToFloor: Math.round((compileMs / Math.max(floorMs, 0.001)) * 100) / 100,
        buildMs,
        publishMemoryMs,
        publishSqliteMs,
        jsonBytes: built.json.length,
        binBytes: Buffer.from(built.bin, "base64").length,
      };
      rows.push(row);
      log(
        `${String(n).padStart(5)} activities (${rules} rules): compile ${compileMs} ms (floor ${floorMs} ms, ×${row.compileToFloor}), build ${buildMs} ms, publish memory ${publishMemoryMs} ms / sqlite ${publishSqliteMs} ms, rules.json ${(row.jsonBytes / 1024).toFixed(1)} KB, rules.bin ${(row.binBytes / 1024).toFixed(1)} KB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (arg("sizes") ?? "10,100,1000").split(",").map(Number);
  const runs = Number(arg("runs") ?? 5);
  console.log(machineLine(machine()));
  const rows = await runPublishBench(sizes, runs);
  const largest = rows.find((r) => r.activities === 1000);
  if (largest) console.log(`1,000 activities compile in ${largest.compileMs} ms: ${largest.compileMs <= 1000 ? "within" : "ABOVE"} the 1 s target`);
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "publish.json"), `${JSON.stringify({ machine: machine(), at: new Date().toISOString(), runs, rows }, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
