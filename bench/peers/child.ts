/**
 * One measurement of `npm run bench:peers`, in a process of its own: sets one system up for one job,
 * verifies that it really decides (split and targeting, bench/peers/jobs.ts), then times calls one
 * by one and writes the raw latencies (Float64, µs) to --out and a JSON summary to stdout.
 *
 *   node --expose-gc --import tsx bench/peers/child.ts --system unleash --job a --budget 2000 --out f.bin
 */
import { writeFileSync } from "node:fs";
import { setImmediate as yieldImmediate } from "node:timers/promises";
import { gcNow } from "../lib/harness";
import { verify, type Answer, type JobId } from "./jobs";
import { SYSTEMS, type Decider } from "./systems";

const argv = process.argv.slice(2);
const arg = (flag: string, fallback: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};

const YIELD_EVERY_MS = 2;
const isPromise = (x: unknown): x is Promise<unknown> => x instanceof Promise;

async function verifyDecider(decider: Decider, job: JobId, calls: number) {
  const answers: Answer[][] = [];
  for (let i = 0; i < calls; i++) {
    const r = decider.call(i);
    answers.push(decider.answers(isPromise(r) ? await r : r));
  }
  await decider.drain?.();
  return verify(job, answers);
}

/** Calls in a loop for `ms`, timing each; yields to the event loop every 2 ms, as a server does. */
async function measure(decider: Decider, first: number, ms: number, record: boolean) {
  const latencies = new Float64Array(record ? 20_000_000 : 0);
  const start = performance.now();
  const deadline = start + ms;
  let lastYield = start;
  let n = 0;
  for (;;) {
    const t0 = performance.now();
    if (t0 >= deadline || (record && n >= latencies.length)) break;
    const r = decider.call(first + n);
    if (isPromise(r)) await r;
    const t1 = performance.now();
    if (record) latencies[n] = (t1 - t0) * 1000;
    n++;
    if (t1 - lastYield > YIELD_EVERY_MS) {
      await yieldImmediate();
      lastYield = performance.now();
    }
  }
  await decider.drain?.();
  return { latencies: latencies.subarray(0, n), iterations: n, elapsedMs: performance.now() - start };
}

async function main(): Promise<void> {
  const system = SYSTEMS.find((s) => s.id === arg("--system", ""));
  if (!system) throw new Error(`unknown --system; one of ${SYSTEMS.map((s) => s.id).join(", ")}`);
  const job = arg("--job", "a") as JobId;
  const decider = await system.create(job);
  const verification = await verifyDecider(decider, job, Number(arg("--verify", "20000")));
  await measure(decider, 1_000_000, Number(arg("--warmup", "500")), false);
  gcNow();
  const run = await measure(decider, 2_000_000, Number(arg("--budget", "2000")), true);
  await decider.close();
  const out = arg("--out", "");
  if (out)
    writeFileSync(
      out,
      new Uint8Array(run.latencies.buffer, run.latencies.byteOffset, run.latencies.byteLength),
    );
  const summary = {
    system: system.id,
    job,
    version: system.version(),
    verification,
    iterations: run.iterations,
    elapsedMs: run.elapsedMs,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
