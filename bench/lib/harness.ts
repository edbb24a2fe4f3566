/**
 * A small timing harness (no dependencies): warm-up, then a measured phase bounded by a time budget
 * and an iteration cap. Async operations are timed one by one (per-op latencies give mean/p50/p99);
 * synchronous operations that take well under a microsecond are timed in batches.
 *
 * Throughput is the sustained rate over the measured phase's wall clock, which includes the
 * periodic yields to the event loop and a final drain: background work an operation schedules
 * (notification sends, timers) is paid for inside the throughput figure, not hidden from it.
 */
import { setImmediate as yieldImmediate } from "node:timers/promises";

export interface Stats {
  iterations: number;
  /** Wall clock of the measured phase(s), ms, yields and drains included. */
  elapsedMs: number;
  /** iterations / elapsed (sustained). */
  opsPerSec: number;
  /** Per-op latency, µs. */
  meanUs: number;
  p50Us: number;
  p99Us: number;
  minUs: number;
  maxUs: number;
}

export interface AsyncBudget {
  /** Warm-up time, ms (not recorded). */
  warmupMs: number;
  /** Measured time, ms. */
  budgetMs: number;
  /** Hard cap on measured iterations. */
  maxIterations: number;
  /** Floor on measured iterations, even past the budget. Default 1. */
  minIterations?: number;
  /** Cap on warm-up iterations. Default maxIterations. */
  maxWarmup?: number;
  /** Yield to the event loop (timers, I/O) once this much time has run without a yield. Default 2 ms. */
  yieldEveryMs?: number;
}

/** One measured phase: the raw samples, so alternating rounds can be merged before the statistics. */
export interface Samples {
  latenciesUs: Float64Array;
  iterations: number;
  elapsedMs: number;
}

const now = () => performance.now();

export function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") {
    gc();
    gc();
  }
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Times `op(i)` one call at a time. `drain` runs once after the measured loop and its time counts
 * in `elapsedMs` (e.g. flushing queued notifications), not in any latency sample.
 */
export async function sampleAsync(
  op: (i: number) => Promise<unknown>,
  budget: AsyncBudget,
  drain?: () => Promise<unknown>,
): Promise<Samples> {
  const yieldEvery = budget.yieldEveryMs ?? 2;
  const maxWarmup = budget.maxWarmup ?? budget.maxIterations;
  let lastYield = now();
  const warmEnd = now() + budget.warmupMs;
  for (let i = 0; i < maxWarmup && now() < warmEnd; i++) {
    await op(i);
    if (now() - lastYield > yieldEvery) {
      await yieldImmediate();
      lastYield = now();
    }
  }
  if (drain) await drain();
  gcNow();
  await yieldImmediate();

  const latencies = new Float64Array(budget.maxIterations);
  const minIterations = budget.minIterations ?? 1;
  const start = now();
  const deadline = start + budget.budgetMs;
  lastYield = start;
  let n = 0;
  while (n < budget.maxIterations) {
    const t0 = now();
    if (t0 >= deadline && n >= minIterations) break;
    await op(n);
    const t1 = now();
    latencies[n++] = (t1 - t0) * 1000;
    if (t1 - lastYield > yieldEvery) {
      await yieldImmediate();
      lastYield = now();
    }
  }
  if (drain) await drain();
  const elapsedMs = now() - start;
  return { latenciesUs: latencies.subarray(0, n), iterations: n, elapsedMs };
}

/**
 * Times a synchronous function in batches of `batch` calls; each sample is the batch's time / batch.
 * Use for operations far below a microsecond, where a clock read per call would dominate.
 */
export function sampleSync(
  fn: (i: number) => unknown,
  opts: { warmupMs: number; budgetMs: number; batch: number; maxSamples?: number },
): Samples {
  let sink = 0;
  const warmEnd = now() + opts.warmupMs;
  let i = 0;
  while (now() < warmEnd) for (let k = 0; k < opts.batch; k++) if (fn(i++)) sink++;
  gcNow();
  const maxSamples = opts.maxSamples ?? 100_000;
  const latencies = new Float64Array(maxSamples);
  const start = now();
  const deadline = start + opts.budgetMs;
  let s = 0;
  while (s < maxSamples) {
    const t0 = now();
    if (t0 >= deadline && s >= 5) break;
    for (let k = 0; k < opts.batch; k++) if (fn(i++)) sink++;
    latencies[s++] = ((now() - t0) * 1000) / opts.batch;
  }
  const elapsedMs = now() - start;
  if (sink === -1) console.log(sink); // keeps the results observable to the optimiser
  return { latenciesUs: latencies.subarray(0, s), iterations: s * opts.batch, elapsedMs };
}

/** Merges the samples of several rounds (e.g. alternating ours/reference rounds). */
export function mergeSamples(parts: Samples[]): Samples {
  const total = parts.reduce((sum, p) => sum + p.latenciesUs.length, 0);
  const latenciesUs = new Float64Array(total);
  let offset = 0;
  for (const p of parts) {
    latenciesUs.set(p.latenciesUs, offset);
    offset += p.latenciesUs.length;
  }
  return {
    latenciesUs,
    iterations: parts.reduce((sum, p) => sum + p.iterations, 0),
    elapsedMs: parts.reduce((sum, p) => sum + p.elapsedMs, 0),
  };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samples: Samples): Stats {
  const sorted = Float64Array.from(samples.latenciesUs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const count = sorted.length;
  return {
    iterations: samples.iterations,
    elapsedMs: samples.elapsedMs,
    opsPerSec: samples.elapsedMs > 0 ? (samples.iterations * 1000) / samples.elapsedMs : NaN,
    meanUs: count > 0 ? sum / count : NaN,
    p50Us: quantile(sorted, 0.5),
    p99Us: quantile(sorted, 0.99),
    minUs: count > 0 ? sorted[0]! : NaN,
    maxUs: count > 0 ? sorted[count - 1]! : NaN,
  };
}

/** heapUsed after a full collection, bytes. */
export function heapUsedAfterGc(): number {
  gcNow();
  return process.memoryUsage().heapUsed;
}
