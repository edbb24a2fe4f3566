/**
 * The micro-benchmark case type and runner: each case is a synchronous function timed in batches
 * (see sampleSync); a per-case `setup` runs once, outside the timing.
 */
import { sampleSync, summarize } from "../lib/harness";

export interface MicroCase {
  /** "<file>: <what>", e.g. "url: parseUrlContext, real-world host (cached)". */
  name: string;
  /** Returns the function to time; `i` varies per call so inputs can rotate. */
  setup: () => (i: number) => unknown;
  /** Calls per timed batch: ~1 ms worth of work is a good size. */
  batch: number;
  /** Measured time, ms (default 500; quick mode caps it at 150). */
  budgetMs?: number;
}

export interface MicroResult {
  name: string;
  nsPerOp: number;
  p50Ns: number;
  p99Ns: number;
  opsPerSec: number;
  iterations: number;
}

export function runCase(c: MicroCase, quick: boolean): MicroResult {
  const fn = c.setup();
  const budgetMs = quick ? Math.min(150, c.budgetMs ?? 500) : (c.budgetMs ?? 500);
  const s = summarize(sampleSync(fn, { warmupMs: quick ? 50 : 200, budgetMs, batch: c.batch }));
  return {
    name: c.name,
    nsPerOp: s.meanUs * 1000,
    p50Ns: s.p50Us * 1000,
    p99Ns: s.p99Us * 1000,
    opsPerSec: 1e6 / s.meanUs,
    iterations: s.iterations,
  };
}

function ns(v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(2)} µs`;
  return `${v.toFixed(1)} ns`;
}

export function formatMicroTable(results: MicroResult[]): string {
  const head = "| case | mean/op | p50 (batch mean) | p99 (batch mean) | ops/s |\n|---|---:|---:|---:|---:|";
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${ns(r.nsPerOp)} | ${ns(r.p50Ns)} | ${ns(r.p99Ns)} | ${Math.round(r.opsPerSec).toLocaleString("en-US")} |`,
  );
  return [head, ...rows].join("\n");
}
