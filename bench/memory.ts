/**
 * `npm run bench:memory` — memory check: 1,000,000 getOffers (scenario 1: execute one A/B mbox) for
 * distinct visitors; heapUsed after a full GC every 100,000 calls. Every cache must be bounded, so
 * past the first interval (caches and JIT warm) the series must stay flat.
 *
 *   npm run bench:memory                                   ours, 1,000,000 calls
 *   npm run bench:memory -- --side reference --ops 60000 --every 10000   the reference, for contrast
 *   npm run bench:memory -- --ops 200000 --every 20000     shorter
 *   npm run bench:memory -- --http-latency 30              stubbed Delivery calls answer after 30 ms
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setImmediate as yieldImmediate } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { loadProductionArtifactText } from "./lib/artifacts";
import { createClient, type Side } from "./lib/clients";
import { hasGc, heapUsedAfterGc } from "./lib/harness";
import { machine, machineLine } from "./lib/report";
import { REAL_WORLD_URL } from "./scenarios/requests";

const MB = 1024 * 1024;

export interface MemoryPoint {
  calls: number;
  heapUsedMB: number;
  elapsedS: number;
  /** getOffers per second over the interval that ended here. */
  intervalOpsPerSec: number;
  httpCalls: number;
  notifications?: Record<string, number>;
}

export interface MemoryReport {
  side: Side;
  series: MemoryPoint[];
  baselineMB: number;
  maxGrowthMB: number;
  slopeMBPer100k: number;
  flat: boolean;
}

/** Growth allowed over the baseline (heap at the first interval): 2 MB or 5 %, whichever is larger. */
export function verdict(series: MemoryPoint[]): Omit<MemoryReport, "side" | "series"> {
  const points = series.slice(1); // series[0] is before the first call
  const baseline = points[0]?.heapUsedMB ?? NaN;
  const maxGrowth = Math.max(0, ...points.map((p) => p.heapUsedMB - baseline));
  // Least-squares slope over the points after the baseline.
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.calls, 0) / n;
  const my = points.reduce((s, p) => s + p.heapUsedMB, 0) / n;
  const num = points.reduce((s, p) => s + (p.calls - mx) * (p.heapUsedMB - my), 0);
  const den = points.reduce((s, p) => s + (p.calls - mx) ** 2, 0);
  const slope = den > 0 ? (num / den) * 100_000 : 0;
  const allowance = Math.max(2, baseline * 0.05);
  return {
    baselineMB: baseline,
    maxGrowthMB: maxGrowth,
    slopeMBPer100k: slope,
    flat: maxGrowth <= allowance,
  };
}

export async function runMemoryCheck(opts: {
  side: Side;
  ops: number;
  every: number;
  /** Delay of the stubbed Delivery API answers, ms (0: at once). */
  httpLatencyMs?: number;
  log?: (line: string) => void;
}): Promise<MemoryReport> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const client = await createClient(opts.side, JSON.parse(loadProductionArtifactText()), {
    httpLatencyMs: opts.httpLatencyMs ?? 0,
  });
  const series: MemoryPoint[] = [];
  const started = performance.now();
  const point = (calls: number) => {
    const elapsedS = (performance.now() - started) / 1000;
    const previous = series[series.length - 1];
    const intervalOpsPerSec = previous ? (calls - previous.calls) / (elapsedS - previous.elapsedS) : 0;
    const p: MemoryPoint = {
      calls,
      heapUsedMB: heapUsedAfterGc() / MB,
      elapsedS,
      intervalOpsPerSec,
      httpCalls: client.httpCalls(),
      ...(client.notificationStats ? { notifications: client.notificationStats() } : {}),
    };
    series.push(p);
    const q = p.notifications;
    log(
      `${String(calls).padStart(9)} calls  heapUsed ${p.heapUsedMB.toFixed(2).padStart(8)} MB  ` +
        `${Math.round(intervalOpsPerSec).toString().padStart(6)} ops/s  http ${p.httpCalls}` +
        (q ? `  queue: sent ${q.sent} dropped ${q.dropped} queued ${q.queued}` : "") +
        `  (${elapsedS.toFixed(1)} s)`,
    );
  };
  try {
    point(0);
    let lastYield = performance.now();
    for (let i = 1; i <= opts.ops; i++) {
      await client.getOffers({
        request: {
          id: { tntId: i.toString(16).padStart(32, "0") },
          property: { token: "be92ac4c-e72f-9f82-2a80-2c211ea86578" },
          context: { channel: "web", address: { url: `${REAL_WORLD_URL}&page=${i % 5000}` } },
          execute: { mboxes: [{ name: "perf-mbox", index: 1 }] },
        },
      });
      if (performance.now() - lastYield > 2) {
        await yieldImmediate(); // timers (notification flushes) get their turn, as in a server
        lastYield = performance.now();
      }
      if (i % opts.every === 0) {
        await client.drain();
        point(i);
      }
    }
  } finally {
    await client.close();
  }
  return { side: opts.side, series, ...verdict(series) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  if (!hasGc()) throw new Error("run with node --expose-gc (npm run bench:memory does)");
  const side = arg("--side", "ours") as Side;
  const ops = Number(arg("--ops", "1000000"));
  const every = Number(arg("--every", String(Math.max(1, Math.floor(ops / 10)))));
  console.log(
    `Memory check: ${ops.toLocaleString("en-US")} getOffers for distinct visitors, ${side}; ${machineLine(machine())}`,
  );
  const httpLatencyMs = Number(arg("--http-latency", "0"));
  const report = await runMemoryCheck({ side, ops, every, httpLatencyMs });
  console.log(
    `\nbaseline (after ${every.toLocaleString("en-US")} calls) ${report.baselineMB.toFixed(2)} MB; max growth ${report.maxGrowthMB.toFixed(2)} MB; ` +
      `slope ${report.slopeMBPer100k.toFixed(3)} MB per 100k calls`,
  );
  console.log(`verdict: ${report.flat ? "FLAT (bounded caches)" : "GROWING (an unbounded cache or a leak)"}`);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const file = path.join(root, "bench", "results", `memory-${side}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const command = `npm run bench:memory${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
  writeFileSync(
    file,
    `${JSON.stringify({ command, date: new Date().toISOString(), machine: machine(), ...report }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(root, file)}`);
  process.exitCode = report.flat ? 0 : 2;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
