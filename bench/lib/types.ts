import type { AsyncBudget, Stats } from "./harness";

export type { Stats };

export interface SideBudgets {
  ours: AsyncBudget;
  reference: AsyncBudget;
}

export interface BenchConfig {
  quick: boolean;
  /** Alternating rounds per side (ours, reference, reference, ours, ...). */
  rounds: number;
  budgets: SideBudgets;
  /** Which sides run (the smoke test runs ours alone). */
  sides: readonly ("ours" | "reference")[];
  /** Scale factors of scenarios 6 and 7. */
  scales: readonly number[];
  log: (line: string) => void;
}

export interface ScenarioResult {
  /** "1", "2", ..., "5t", "6@10x", "7.1@100x", "8". */
  id: string;
  title: string;
  kind: "latency" | "ready" | "floor" | "scale-check";
  ours?: Stats;
  reference?: Stats;
  /** Scale check only: ours on the 1× artifact, measured interleaved with `ours` on the largest. */
  control?: Stats;
  /** ours ops/s ÷ reference ops/s (for "ready": reference time ÷ ours time). */
  ratio?: number;
  /** Scenario 6: ms to ready and MB of retained heap per side. */
  ready?: {
    ours?: { ms: number; heapMB: number; runs: number };
    reference?: { ms: number; heapMB: number; runs: number };
  };
  /** Notification HTTP calls the stub answered per getOffers. */
  httpPerOp?: { ours?: number; reference?: number };
  notes?: string[];
}
