/**
 * Scenario 6: time and retained heap to ready, for the real artifact and synthetic 10×/100× ones.
 * Scenario 7: scenarios 1 and 3 against the 1×/10×/100× artifacts, plus an ours-only interleaved
 * check of the single-mbox cost at 1× vs the largest scale.
 */
import {
  gcNow,
  heapUsedAfterGc,
  mergeSamples,
  summarize,
  type AsyncBudget,
  type Samples,
} from "../lib/harness";
import { createClient, type BenchClient, type Side } from "../lib/clients";
import type { BenchConfig, ScenarioResult } from "../lib/types";
import { DECISION_SCENARIOS, describe, measureOn, runAlternating } from "./decisions";

const MB = 1024 * 1024;

interface ReadyRun {
  ms: number;
  heapBytes: number;
}

/**
 * Time from create() to ready, and heap retained by the ready client: heapUsed after GC with the
 * client alive minus heapUsed after GC before the artifact JSON was parsed (the bench drops its own
 * reference to the parsed artifact, so whatever the client keeps of it counts).
 */
async function readyOnce(side: Side, artifactText: string): Promise<ReadyRun> {
  const before = heapUsedAfterGc();
  let artifact: unknown = JSON.parse(artifactText);
  const t0 = performance.now();
  let client: BenchClient | undefined = await createClient(side, artifact);
  const ms = performance.now() - t0;
  artifact = undefined;
  const after = heapUsedAfterGc();
  await client.close();
  client = undefined;
  gcNow();
  return { ms, heapBytes: after - before };
}

function repsFor(factor: number, quick: boolean): number {
  if (quick) return factor >= 100 ? 1 : 2;
  return factor >= 100 ? 2 : factor >= 10 ? 3 : 5;
}

export async function runReadyScenario(
  artifactTexts: Map<number, string>,
  config: BenchConfig,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const [factor, text] of artifactTexts) {
    config.log(`scenario 6: ready @${factor}× (${(text.length / MB).toFixed(1)} MB JSON)`);
    const reps = repsFor(factor, config.quick);
    const runs: Record<Side, ReadyRun[]> = { ours: [], reference: [] };
    // One untimed warm-up per side at 1× so the first timed run is not a cold-JIT outlier.
    if (factor === 1) for (const side of config.sides) await readyOnce(side, text);
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? config.sides : [...config.sides].reverse();
      for (const side of order) runs[side].push(await readyOnce(side, text));
    }
    const ready: NonNullable<ScenarioResult["ready"]> = {};
    for (const side of config.sides) {
      const list = runs[side];
      ready[side] = {
        ms: median(list.map((x) => x.ms)),
        heapMB: median(list.map((x) => x.heapBytes)) / MB,
        runs: list.length,
      };
    }
    const result: ScenarioResult = {
      id: `6@${factor}x`,
      title: `time + heap to ready, ${factor}× artifact`,
      kind: "ready",
      ready,
    };
    if (ready.ours && ready.reference) result.ratio = ready.reference.ms / ready.ours.ms;
    config.log(
      `  ${config.sides.map((s) => `${s} ${ready[s]!.ms.toFixed(1)} ms ${ready[s]!.heapMB.toFixed(1)} MB`).join(" | ")}`,
    );
    results.push(result);
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The reference gets smaller budgets where one call takes many milliseconds. */
function referenceBudget(config: BenchConfig, factor: number, scenarioId: string): AsyncBudget {
  const base = config.budgets.reference;
  if (factor < 10) return base;
  const views = scenarioId === "3";
  const budgetMs = config.quick ? base.budgetMs : views && factor >= 100 ? 2500 : base.budgetMs;
  return {
    ...base,
    budgetMs,
    warmupMs: Math.min(base.warmupMs, views ? 1 : 200),
    maxWarmup: views ? 1 : base.maxWarmup,
    minIterations: views && factor >= 100 ? 2 : 3,
  };
}

const S1 = DECISION_SCENARIOS.find((s) => s.id === "1")!;
const S3 = DECISION_SCENARIOS.find((s) => s.id === "3")!;

export async function runScaleScenario(
  artifactTexts: Map<number, string>,
  config: BenchConfig,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const oursByFactor = new Map<number, BenchClient>();
  try {
    for (const [factor, text] of artifactTexts) {
      const clients: Partial<Record<Side, BenchClient>> = {};
      if (config.sides.includes("ours")) {
        clients.ours = await createClient("ours", JSON.parse(text));
        oursByFactor.set(factor, clients.ours);
      }
      if (config.sides.includes("reference"))
        clients.reference = await createClient("reference", JSON.parse(text));
      try {
        for (const scenario of [S1, S3]) {
          const id = `7.${scenario.id}@${factor}x`;
          config.log(`scenario ${id}: ${scenario.title} on the ${factor}× artifact`);
          const budgetFor = (side: Side) =>
            side === "reference" ? referenceBudget(config, factor, scenario.id) : config.budgets.ours;
          const r = await runAlternating(
            clients,
            scenario,
            config,
            budgetFor,
            id,
            `${scenario.title}, ${factor}× artifact`,
            0,
          );
          config.log(`  ${describe(r)}`);
          results.push(r);
        }
      } finally {
        await clients.reference?.close();
      }
    }
    const factors = [...oursByFactor.keys()];
    const largest = Math.max(...factors);
    if (oursByFactor.has(1) && largest > 1)
      results.push(await scaleCheck(oursByFactor.get(1)!, oursByFactor.get(largest)!, largest, config));
  } finally {
    for (const c of oursByFactor.values()) await c.close();
  }
  return results;
}

/** Ours only: scenario 1 at 1× and at the largest scale in short interleaved rounds. */
async function scaleCheck(
  at1: BenchClient,
  atN: BenchClient,
  factor: number,
  config: BenchConfig,
): Promise<ScenarioResult> {
  config.log(`scenario 7c: execute 1 mbox, 1× vs ${factor}× interleaved (ours)`);
  const rounds = config.quick ? 2 : 8;
  const budget: AsyncBudget = { ...config.budgets.ours, warmupMs: 50, budgetMs: config.quick ? 150 : 400 };
  const parts: { one: Samples[]; n: Samples[] } = { one: [], n: [] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      parts.one.push(await measureOn(at1, S1, budget));
      parts.n.push(await measureOn(atN, S1, budget));
    } else {
      parts.n.push(await measureOn(atN, S1, budget));
      parts.one.push(await measureOn(at1, S1, budget));
    }
  }
  const one = summarize(mergeSamples(parts.one));
  const n = summarize(mergeSamples(parts.n));
  const result: ScenarioResult = {
    id: "7c",
    title: `ours: execute 1 mbox, ${factor}× vs 1× (interleaved)`,
    kind: "scale-check",
    ours: n,
    control: one,
    // Here the ratio is the cost at N× ÷ the cost at 1×, by median: 1.0 means flat. Not the mean: both
    // clients share one heap, so full-GC pauses (long with a 100× artifact alive) land on either at random.
    ratio: n.p50Us / one.p50Us,
    notes: [
      `cost at ${factor}× ÷ cost at 1×: mean ${(n.meanUs / one.meanUs).toFixed(3)}, p50 ${(n.p50Us / one.p50Us).toFixed(3)}`,
    ],
  };
  config.log(`  ${result.notes![0]}`);
  return result;
}
