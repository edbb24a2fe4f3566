/**
 * CPU profile of one scenario on one client, summarised (top self/inclusive functions, self time by
 * file). Runs itself again under `node --cpu-prof` and reads the profile it wrote.
 *
 *   npm run bench:profile -- --scenario 1 [--side ours|reference] [--seconds 5] [--scale 1]
 *   scenarios: 1 2 3 4 5 5t (getOffers loops), engine:1 … engine:5t (prepareDecisionRequest + decide
 *   alone, no client), ready (create + ready of the artifact, repeated)
 * Profiles go to bench/results/profiles/ (not committed).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadProductionArtifactText, scaledArtifactText } from "./lib/artifacts";
import { createClient, type Side } from "./lib/clients";
import { formatProfile, summarizeProfile } from "./lib/cpu-profile";
import { sampleAsync } from "./lib/harness";
import { DECISION_SCENARIOS } from "./scenarios/decisions";
import { compileArtifact } from "../src/engine/compile";
import { decide, prepareDecisionRequest } from "../src/engine/decide";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const arg = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const scenarioId = arg("--scenario", "1");
const side = arg("--side", "ours") as Side;
const seconds = Number(arg("--seconds", "5"));
const scale = Number(arg("--scale", "1"));
const dir = path.join(ROOT, "bench", "results", "profiles");

async function child(): Promise<void> {
  const text = scaledArtifactText(loadProductionArtifactText(), scale);
  if (scenarioId === "ready") {
    const end = performance.now() + seconds * 1000;
    let n = 0;
    while (performance.now() < end) {
      const client = await createClient(side, JSON.parse(text));
      await client.close();
      n++;
    }
    console.error(`${n} create+ready runs`);
    return;
  }
  const engineOnly = scenarioId.startsWith("engine:");
  const scenario = DECISION_SCENARIOS.find((s) => s.id === scenarioId.replace("engine:", ""));
  if (!scenario) throw new Error(`unknown scenario ${scenarioId}`);
  if (engineOnly) {
    // The pure engine alone (prepareDecisionRequest + decide), no client around it.
    const compiled = compileArtifact(JSON.parse(text));
    let n = 0;
    const uuid = () => (++n).toString(16).padStart(32, "0");
    const end = performance.now() + seconds * 1000;
    let calls = 0;
    while (performance.now() < end) {
      for (let k = 0; k < 100; k++, calls++) {
        const request = (scenario.build(calls) as { request: any }).request;
        decide(compiled, prepareDecisionRequest(request, "28", uuid), {
          client: "targettesting",
          now: Date.now(),
          uuid,
        });
      }
    }
    console.error(`${calls} decisions`);
    return;
  }
  const client = await createClient(side, JSON.parse(text));
  const samples = await sampleAsync(
    (i) => client.getOffers(scenario.build(i)),
    {
      warmupMs: 500,
      budgetMs: seconds * 1000,
      maxIterations: 50_000_000,
    },
    () => client.drain(),
  );
  console.error(`${samples.iterations} getOffers in ${samples.elapsedMs.toFixed(0)} ms`);
  await client.close();
}

function parent(): void {
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const res = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--cpu-prof",
      "--cpu-prof-dir",
      dir,
      "--cpu-prof-interval",
      "100",
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      ...argv,
      "--child",
    ],
    { stdio: "inherit", cwd: ROOT },
  );
  if (res.status !== 0) process.exit(res.status ?? 1);
  // tsx's loader thread writes a profile too: the main thread's is the one that ran child().
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= started)
    .find((f) => readFileSync(f, "utf8").includes('"functionName":"child"'));
  if (!newest) throw new Error("no profile written");
  console.log(
    `# scenario ${scenarioId}, ${side}, ${scale}× artifact, ${seconds} s — ${path.relative(ROOT, newest)}\n`,
  );
  console.log(formatProfile(summarizeProfile(newest, ROOT), Number(arg("--top", "25"))));
}

if (argv.includes("--child")) {
  child().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  parent();
}
