/**
 * Scenarios 1–5 (and 5t): getOffers loops against our client and the reference, created from the
 * same artifact text, measured in alternating rounds so drift (thermal, noisy neighbours, GC state)
 * hits both sides alike.
 */
import { mergeSamples, sampleAsync, summarize, type AsyncBudget, type Samples } from "../lib/harness";
import { createClient, type BenchClient, type Side } from "../lib/clients";
import type { BenchConfig, ScenarioResult } from "../lib/types";
import {
  audienceRealWorld,
  audienceTestUrl,
  executeOneMbox,
  executePageLoad,
  prefetchAllViews,
  prefetchFiveMboxes,
  type RequestBuilder,
} from "./requests";

export interface DecisionScenario {
  id: string;
  title: string;
  build: RequestBuilder;
  /** A sanity check of one response: the scenario must exercise what it claims. */
  check: (result: any) => string | undefined;
}

const options = (r: any, mode: "execute" | "prefetch", key: "mboxes" | "views") =>
  (r?.response?.[mode]?.[key] ?? []) as { options?: unknown[] }[];
const withOptions = (list: { options?: unknown[] }[]) =>
  list.filter((m) => (m.options?.length ?? 0) > 0).length;

export const DECISION_SCENARIOS: readonly DecisionScenario[] = [
  {
    id: "1",
    title: "execute 1 A/B mbox",
    build: executeOneMbox,
    check: (r) =>
      withOptions(options(r, "execute", "mboxes")) === 1 ? undefined : "perf-mbox returned no offer",
  },
  {
    id: "2",
    title: "prefetch 5 mboxes",
    build: prefetchFiveMboxes,
    check: (r) =>
      withOptions(options(r, "prefetch", "mboxes")) === 5 ? undefined : "not all 5 mboxes had offers",
  },
  {
    id: "3",
    title: "prefetch all views",
    build: prefetchAllViews,
    check: (r) => (options(r, "prefetch", "views").length > 0 ? undefined : "no view matched"),
  },
  {
    id: "4",
    title: "execute pageLoad",
    build: executePageLoad,
    check: (r) =>
      (r?.response?.execute?.pageLoad?.options?.length ?? 0) > 0 ? undefined : "pageLoad had no offer",
  },
  {
    id: "5",
    title: "audiences: URL+UA+geo+params, real-world hosts",
    build: audienceRealWorld,
    check: (r) =>
      withOptions(options(r, "execute", "mboxes")) >= 3 ? undefined : "fewer than 3 audience mboxes matched",
  },
  {
    id: "5t",
    title: "audiences, same request on the test host",
    build: audienceTestUrl,
    check: (r) =>
      withOptions(options(r, "execute", "mboxes")) >= 2 ? undefined : "fewer than 2 audience mboxes matched",
  },
];

/** Measures one scenario on one client (one round). */
export async function measureOn(
  client: BenchClient,
  scenario: DecisionScenario,
  budget: AsyncBudget,
): Promise<Samples> {
  let offset = Math.floor(Math.random() * 65536);
  const op = (i: number) => client.getOffers(scenario.build(offset + i));
  const samples = await sampleAsync(op, budget, () => client.drain());
  offset += samples.iterations;
  return samples;
}

export async function checkScenario(
  client: BenchClient,
  scenario: DecisionScenario,
): Promise<string | undefined> {
  const result = await client.getOffers(scenario.build(12345));
  const problem = scenario.check(result);
  return problem ? `${client.side}: ${problem}` : undefined;
}

/**
 * Runs scenarios against already-created clients, alternating rounds between the sides.
 * `budgetFor` lets the caller shrink the reference's budget where it is slow.
 */
export async function runAlternating(
  clients: Partial<Record<Side, BenchClient>>,
  scenario: DecisionScenario,
  config: BenchConfig,
  budgetFor: (side: Side) => AsyncBudget = (side) => config.budgets[side],
  id = scenario.id,
  title = scenario.title,
  countHttp = 20,
): Promise<ScenarioResult> {
  const notes: string[] = [];
  const sides = config.sides.filter((s) => clients[s]);
  for (const side of sides) {
    const problem = await checkScenario(clients[side]!, scenario);
    if (problem) notes.push(`sanity check failed: ${problem}`);
  }
  const parts: Record<Side, Samples[]> = { ours: [], reference: [] };
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const s = await measureOn(clients[side]!, scenario, budgetFor(side));
      parts[side].push(s);
    }
  }
  const result: ScenarioResult = { id, title, kind: "latency", notes };
  for (const side of sides) result[side] = summarize(mergeSamples(parts[side]));
  if (result.ours && result.reference) result.ratio = result.ours.opsPerSec / result.reference.opsPerSec;
  if (countHttp > 0) {
    result.httpPerOp = {};
    for (const side of sides)
      result.httpPerOp[side] = await httpCallsPerOp(clients[side]!, scenario, countHttp);
  }
  return result;
}

/** Notification HTTP calls per getOffers, counted over `n` calls after the measurement. */
export async function httpCallsPerOp(
  client: BenchClient,
  scenario: DecisionScenario,
  n: number,
): Promise<number> {
  await client.drain();
  const before = client.httpCalls();
  for (let i = 0; i < n; i++) await client.getOffers(scenario.build(1_000_000 + i));
  await client.drain();
  return (client.httpCalls() - before) / n;
}

/** Scenarios 1–5t on the 1× artifact: one client per side for all of them. */
export async function runDecisionScenarios(
  artifactText: string,
  config: BenchConfig,
  only?: (id: string) => boolean,
): Promise<ScenarioResult[]> {
  const selected = DECISION_SCENARIOS.filter((s) => !only || only(s.id));
  if (selected.length === 0) return [];
  const clients: Partial<Record<Side, BenchClient>> = {};
  for (const side of config.sides) clients[side] = await createClient(side, JSON.parse(artifactText));
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of selected) {
      config.log(`scenario ${scenario.id}: ${scenario.title}`);
      const result = await runAlternating(clients, scenario, config);
      results.push(result);
      config.log(`  ${describe(result)}`);
    }
  } finally {
    for (const c of Object.values(clients)) await c?.close();
  }
  return results;
}

export function describe(r: ScenarioResult): string {
  const f = (side: "ours" | "reference") => {
    const s = r[side];
    return s
      ? `${side} ${Math.round(s.opsPerSec)} ops/s mean ${s.meanUs.toFixed(1)} µs p99 ${s.p99Us.toFixed(1)} µs (n=${s.iterations})`
      : "";
  };
  const ratio = r.ratio !== undefined ? ` → ×${r.ratio.toFixed(1)}` : "";
  const notes = r.notes && r.notes.length > 0 ? ` [${r.notes.join("; ")}]` : "";
  return `${[f("ours"), f("reference")].filter(Boolean).join(" | ")}${ratio}${notes}`;
}
