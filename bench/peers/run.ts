/**
 * `npm run bench:peers` — our getOffers and our engine entry against the local-evaluation SDKs
 * (GrowthBook, LaunchDarkly, Unleash, Optimizely) on the two jobs of bench/peers/jobs.ts.
 *
 * Every measurement runs in a fresh process (bench/peers/child.ts), which first verifies that the
 * system really decides (50/50 split, targeting exact) and fails the run otherwise. Rounds alternate
 * the order of the systems (forward, then backward, rotated), and the rounds' samples are merged.
 *
 *   npm run bench:peers                          3 rounds × 2 s per system and job (~2.5 min)
 *   npm run bench:peers -- --rounds 1 --budget 500 --no-docs      a quick look
 *   npm run bench:peers -- --jobs a --systems ours-engine,unleash
 *
 * Writes bench/results/peers.json and (unless --no-docs) the generated section of docs/performance.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mergeSamples, summarize, type Samples, type Stats } from "../lib/harness";
import { machine, machineLine, updateDocsSection } from "../lib/report";
import { JOB_TITLES, type JobId, type Verification } from "./jobs";
import { PEER_IDS, SYSTEMS } from "./systems";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DOCS_START = "<!-- bench:peers:start -->";
const DOCS_END = "<!-- bench:peers:end -->";

const argv = process.argv.slice(2);
const arg = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};

interface ChildSummary {
  system: string;
  job: JobId;
  version: string;
  verification: Verification;
  iterations: number;
  elapsedMs: number;
}

export interface PeerResult {
  system: string;
  title: string;
  version: string;
  job: JobId;
  stats: Stats;
  /** Wall clock per decision over the measured phases: yields, background work and drain included. */
  sustainedUs: number;
  shareA: number[];
}

function runChild(
  system: string,
  job: JobId,
  budget: number,
  dir: string,
): { summary: ChildSummary; samples: Samples } {
  const out = path.join(dir, `${system}-${job}-${Date.now()}.bin`);
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      "bench/peers/child.ts",
      "--system",
      system,
      "--job",
      job,
      "--budget",
      String(budget),
      "--out",
      out,
    ],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`${system} job ${job} failed:\n${child.stderr}`);
  const summary = JSON.parse(child.stdout.trim().split("\n").pop()!) as ChildSummary;
  if (!summary.verification.ok) {
    throw new Error(
      `${system} job ${job} does not decide correctly: ${summary.verification.problems.join("; ")}`,
    );
  }
  const bytes = readFileSync(out);
  rmSync(out);
  const latenciesUs = new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  return { summary, samples: { latenciesUs, iterations: summary.iterations, elapsedMs: summary.elapsedMs } };
}

/** Round r's order: forward on even rounds, backward on odd ones, rotated by r. */
function order<T>(items: readonly T[], round: number): T[] {
  const rotated = items.map((_, k) => items[(k + round) % items.length]!);
  return round % 2 === 0 ? rotated : rotated.reverse();
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function table(results: PeerResult[], jobs: readonly JobId[]): string {
  const lines = [
    "| job | system | mean µs | p50 µs | p99 µs | sustained µs/decision | decisions/s | mean ÷ fastest peer's mean | p50 ÷ fastest peer's p50 |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const job of jobs) {
    const rows = results.filter((r) => r.job === job);
    const fastest = fastestPeer(rows);
    const fastestP50 = Math.min(...rows.filter((r) => PEER_IDS.includes(r.system)).map((r) => r.stats.p50Us));
    for (const r of rows) {
      const ratio = fastest ? `${(r.stats.meanUs / fastest.stats.meanUs).toFixed(2)}×` : "—";
      const p50Ratio = Number.isFinite(fastestP50) ? `${(r.stats.p50Us / fastestP50).toFixed(2)}×` : "—";
      lines.push(
        `| ${job} | ${r.title} | ${fmt(r.stats.meanUs)} | ${fmt(r.stats.p50Us)} | ${fmt(r.stats.p99Us)} | ${fmt(r.sustainedUs)} | ${Math.round(1e6 / r.sustainedUs).toLocaleString("en-US")} | ${ratio} | ${p50Ratio} |`,
      );
    }
  }
  return lines.join("\n");
}

function fastestPeer(rows: PeerResult[]): PeerResult | undefined {
  return rows.filter((r) => PEER_IDS.includes(r.system)).sort((x, y) => x.stats.meanUs - y.stats.meanUs)[0];
}

/** The targets of issue 16, evaluated on this run. */
function verdicts(results: PeerResult[], jobs: readonly JobId[]): string {
  const lines = ["| target | measured | verdict |", "|---|---|---|"];
  const verdict = (ok: boolean) => (ok ? "met" : "**NOT met**");
  for (const job of jobs) {
    const rows = results.filter((r) => r.job === job);
    const peer = fastestPeer(rows);
    const engine = rows.find((r) => r.system === "ours-engine");
    const offers = rows.find((r) => r.system === "ours-getoffers");
    if (peer && engine) {
      lines.push(
        `| job ${job}: engine entry mean ≤ fastest peer's mean (${peer.title}) | ${fmt(engine.stats.meanUs)} vs ${fmt(peer.stats.meanUs)} µs (${(engine.stats.meanUs / peer.stats.meanUs).toFixed(2)}×) | ${verdict(engine.stats.meanUs <= peer.stats.meanUs)} |`,
      );
    }
    if (peer && offers) {
      const ratio = offers.sustainedUs / peer.stats.meanUs;
      lines.push(
        `| job ${job}: getOffers incl. its notification send (sustained) ≤ 2× fastest peer's mean | ${fmt(offers.sustainedUs)} vs ${fmt(peer.stats.meanUs)} µs (${ratio.toFixed(2)}×) | ${verdict(ratio <= 2)} |`,
      );
    }
    if (job === "a" && offers) {
      lines.push(
        `| job a: getOffers p99 ≤ 20 µs | ${fmt(offers.stats.p99Us)} µs | ${verdict(offers.stats.p99Us <= 20)} |`,
      );
    }
  }
  return lines.join("\n");
}

function report(
  results: PeerResult[],
  jobs: readonly JobId[],
  rounds: number,
  budget: number,
  load: [number, number],
): string {
  const versions = [...new Map(results.map((r) => [r.system, `${r.title}: ${r.version}`])).values()];
  return [
    `Command: \`npm run bench:peers\` (${rounds} rounds × ${budget} ms per system and job) — ${new Date().toISOString()}`,
    `Machine: ${machineLine(machine())}; 1-min load average ${load[0].toFixed(2)} before, ${load[1].toFixed(2)} after the run`,
    `Versions: ${versions.join("; ")}`,
    "",
    ...jobs.map((job) => `- job ${JOB_TITLES[job]}`),
    "",
    table(results, jobs),
    "",
    verdicts(results, jobs),
  ].join("\n");
}

async function main(): Promise<void> {
  const rounds = Number(arg("--rounds", "3"));
  const budget = Number(arg("--budget", "2000"));
  const jobs = arg("--jobs", "a,b").split(",") as JobId[];
  const wanted = arg("--systems", SYSTEMS.map((s) => s.id).join(",")).split(",");
  const systems = SYSTEMS.filter((s) => wanted.includes(s.id));
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-peers-"));
  const loadBefore = os.loadavg()[0]!;
  const parts = new Map<string, { summary: ChildSummary; samples: Samples[] }>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const job of jobs) {
        for (const system of order(systems, round)) {
          const { summary, samples } = runChild(system.id, job, budget, dir);
          const key = `${job}:${system.id}`;
          const entry = parts.get(key) ?? { summary, samples: [] };
          entry.samples.push(samples);
          parts.set(key, entry);
          const s = summarize(samples);
          console.log(
            `round ${round + 1} job ${job} ${system.id}: mean ${fmt(s.meanUs)} µs, p99 ${fmt(s.p99Us)} µs, ${s.iterations} calls`,
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const results: PeerResult[] = [];
  for (const job of jobs) {
    for (const system of systems) {
      const entry = parts.get(`${job}:${system.id}`)!;
      const merged = mergeSamples(entry.samples);
      results.push({
        system: system.id,
        title: system.title,
        version: entry.summary.version,
        job,
        stats: summarize(merged),
        sustainedUs: (merged.elapsedMs * 1000) / merged.iterations,
        shareA: entry.summary.verification.shareA,
      });
    }
  }
  const text = report(results, jobs, rounds, budget, [loadBefore, os.loadavg()[0]!]);
  console.log(`\n${text}`);
  writeFileSync(
    path.join(ROOT, "bench/results/peers.json"),
    `${JSON.stringify({ machine: machine(), results }, null, 2)}\n`,
  );
  if (!argv.includes("--no-docs")) {
    const docs = path.join(ROOT, "docs/performance.md");
    if (!(await updateDocsSection(docs, text, DOCS_START, DOCS_END)))
      console.log(`(no ${DOCS_START} section in ${docs})`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
