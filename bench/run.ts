/**
 * `npm run bench` — scenario benchmarks of our TargetClient against @adobe/target-nodejs-sdk 2.4.3 in
 * the same process, alternating rounds; prints the tables and target verdicts, writes JSON under
 * bench/results/ and (full runs) the generated section of docs/performance.md.
 *
 *   npm run bench                       full run (a few minutes)
 *   npm run bench -- --quick            ~1 s per scenario
 *   npm run bench -- --only 1,3,7       a subset (ids 1 2 3 4 5 6 7 8; 5 includes 5t)
 *   npm run bench -- --ours-only        skip the reference
 *   npm run bench -- --scales 1,10      scale factors of scenarios 6 and 7 (default 1,10,100)
 *   npm run bench -- --micro            the micro-benchmarks instead (same as npm run bench:micro)
 *   npm run bench -- --no-docs          do not touch docs/performance.md
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProductionArtifactText, scaledArtifactText } from "./lib/artifacts";
import { hasGc } from "./lib/harness";
import { fullReport, evaluateTargets, machine, updateDocsSection } from "./lib/report";
import type { BenchConfig, ScenarioResult } from "./lib/types";
import { runDecisionScenarios } from "./scenarios/decisions";
import { runLoopbackScenario } from "./scenarios/loopback";
import { runReadyScenario, runScaleScenario } from "./scenarios/scale";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface CliOptions {
  quick: boolean;
  micro: boolean;
  oursOnly: boolean;
  docs: boolean;
  only: Set<string> | undefined;
  scales: number[];
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = value("--only");
  const scales = value("--scales");
  return {
    quick: argv.includes("--quick"),
    micro: argv.includes("--micro"),
    oursOnly: argv.includes("--ours-only"),
    docs: !argv.includes("--no-docs"),
    only: only ? new Set(only.split(",").map((s) => s.trim())) : undefined,
    scales: scales
      ? scales
          .split(",")
          .map(Number)
          .filter((n) => Number.isInteger(n) && n >= 1)
      : [1, 10, 100],
  };
}

export function benchConfig(
  o: Pick<CliOptions, "quick" | "oursOnly" | "scales">,
  log: (line: string) => void,
): BenchConfig {
  const quick = o.quick;
  return {
    quick,
    rounds: quick ? 1 : 3,
    budgets: {
      ours: { warmupMs: quick ? 150 : 300, budgetMs: quick ? 350 : 1000, maxIterations: 2_000_000 },
      reference: { warmupMs: quick ? 150 : 300, budgetMs: quick ? 350 : 1000, maxIterations: 200_000 },
    },
    sides: o.oursOnly ? ["ours"] : ["ours", "reference"],
    scales: o.scales,
    log,
  };
}

export async function runScenarios(
  config: BenchConfig,
  only: Set<string> | undefined,
): Promise<ScenarioResult[]> {
  const want = (id: string) => !only || only.has(id);
  const baseText = loadProductionArtifactText();
  const results: ScenarioResult[] = [];
  results.push(
    ...(await runDecisionScenarios(baseText, config, (id) => want(id) || (id === "5t" && want("5")))),
  );
  if (want("6") || want("7")) {
    const texts = new Map<number, string>();
    for (const factor of config.scales) {
      const t0 = performance.now();
      texts.set(factor, scaledArtifactText(baseText, factor));
      if (factor > 1)
        config.log(`generated the ${factor}× artifact in ${(performance.now() - t0).toFixed(0)} ms`);
    }
    if (want("6")) results.push(...(await runReadyScenario(texts, config)));
    if (want("7")) results.push(...(await runScaleScenario(texts, config)));
  }
  if (want("8")) results.push(await runLoopbackScenario(config));
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cli = parseArgs(argv);
  if (cli.micro) {
    await import("./micro/run");
    return;
  }
  if (!hasGc())
    console.error("warning: run with node --expose-gc (npm run bench does) for stable heap figures");
  const log = (line: string) => console.error(line);
  const config = benchConfig(cli, log);
  const started = Date.now();
  const loadBefore = os.loadavg()[0]!;
  if (loadBefore > 0.5) {
    log(
      `warning: 1-minute load average is ${loadBefore.toFixed(2)} before the run; other processes will skew the numbers`,
    );
  }
  const results = await runScenarios(config, cli.only);
  const loadAfter = os.loadavg()[0]!;
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
  const date = new Date().toISOString();
  const m = machine();
  const report = fullReport(results, m, command, date, [loadBefore, loadAfter]);
  console.log(`\n${report}\n`);
  console.error(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const dir = path.join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const full = !cli.quick && !cli.only && !cli.oursOnly;
  const file = path.join(dir, full ? "latest.json" : "latest-partial.json");
  const json = {
    command,
    date,
    machine: m,
    loadAverage: { before: loadBefore, after: loadAfter },
    config: { quick: config.quick, rounds: config.rounds, budgets: config.budgets, scales: config.scales },
    results,
    targets: evaluateTargets(results),
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.error(`wrote ${path.relative(ROOT, file)}`);
  if (full && cli.docs) {
    const docPath = path.join(ROOT, "docs", "performance.md");
    try {
      const done = await updateDocsSection(docPath, report);
      console.error(
        done
          ? "updated docs/performance.md"
          : "docs/performance.md has no bench:results markers; not updated",
      );
    } catch {
      console.error("docs/performance.md not found; not updated");
    }
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
