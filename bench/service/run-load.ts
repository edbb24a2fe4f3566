/**
 * Runs the load of `npm run bench:service` in a process of its own against `url` and returns its
 * summary: `wrk` (C, one thread, bench/service/wrk-hero.lua) when it is on the PATH, else autocannon
 * (bench/service/load.ts, a Node process). wrk leaves more of the two cores to the servers measured,
 * which is what the rows compare; `ODD_BENCH_LOAD=autocannon` forces the Node generator.
 *
 * wrk runs pinned to the machine's last CPU (`taskset`, when there are two CPUs or more and taskset
 * is installed): unpinned, the scheduler moved wrk and the measured server between the two cores
 * and the floor row alone ranged from 21,600 to 28,800 req/s in three runs of one afternoon; pinned,
 * the load generator takes the same share of the machine in every row. The servers are not pinned
 * (`--workers 2` needs both cores).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../lib/processes";

export interface LoadOptions {
  duration: number;
  warmup: number;
  connections: number;
  prefix: string;
  /** File to receive one `tntId experienceId` line per 200 answer. */
  answered?: string;
}

export type LoadGenerator = "wrk" | "autocannon";

let warned = false;

export function loadGenerator(): LoadGenerator {
  if (process.env.ODD_BENCH_LOAD === "autocannon") return "autocannon";
  if (!spawnSync("wrk", ["--version"], { stdio: "ignore" }).error) return "wrk";
  if (!warned) {
    warned = true;
    process.stderr.write(
      "bench:service: wrk is not installed (apt install wrk): the load comes from autocannon, a Node " +
        "process that takes most of a core itself, so the rows are not comparable with docs/performance.md\n",
    );
  }
  return "autocannon";
}

export async function runLoadGenerator(url: string, options: LoadOptions): Promise<Record<string, any>> {
  const generator = loadGenerator();
  const summary = generator === "wrk" ? await runWrk(url, options) : await runAutocannon(url, options);
  return { generator, ...summary };
}

function runProcess(command: string, args: readonly string[]): Promise<string> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`)),
    ),
  );
}

const lastJsonLine = (out: string) => JSON.parse(out.trim().split("\n").pop()!) as Record<string, any>;

async function runAutocannon(url: string, o: LoadOptions): Promise<Record<string, any>> {
  const args = ["--import", "tsx", path.join(import.meta.dirname, "load.ts"), "--url", url];
  args.push("--duration", String(o.duration), "--warmup", String(o.warmup));
  args.push("--connections", String(o.connections), "--prefix", o.prefix);
  if (o.answered) args.push("--answered", o.answered);
  return lastJsonLine(await runProcess(process.execPath, args));
}

/** `taskset -c <last cpu>` when it can pin (see above), else nothing. */
export function wrkPinning(): string[] {
  const cpus = os.availableParallelism();
  if (cpus < 2 || spawnSync("taskset", ["--version"], { stdio: "ignore" }).error) return [];
  return ["taskset", "-c", String(cpus - 1)];
}

/** One wrk run of `seconds`; its answered lines go to `<answered>.0` (one thread). */
async function wrkPhase(url: string, o: LoadOptions, seconds: number, phase: string) {
  const script = path.join(import.meta.dirname, "wrk-hero.lua");
  const args = ["-t1", `-c${o.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, url];
  args.push("--", `${o.prefix}${phase}-`, ...(o.answered ? [o.answered] : []));
  const [command, ...pinning] = [...wrkPinning(), "wrk"];
  return lastJsonLine(await runProcess(command!, [...pinning, ...args]));
}

async function runWrk(url: string, o: LoadOptions): Promise<Record<string, any>> {
  if (o.warmup > 0) await wrkPhase(url, o, o.warmup, "w");
  const r = await wrkPhase(url, o, o.duration, "m");
  const answeredTotal = o.answered ? mergeAnswered(o.answered) : 0;
  const ms = (us: number) => Math.round(us) / 1000;
  const e = r.errors as Record<string, number>;
  return {
    requests: r.requests,
    rps: r.requests / (r.durationUs / 1e6),
    latencyMs: {
      p50: ms(r.latencyUs.p50),
      p90: ms(r.latencyUs.p90),
      p99: ms(r.latencyUs.p99),
      max: ms(r.latencyUs.max),
    },
    errors: e.connect! + e.read! + e.write! + e.timeout!,
    timeouts: e.timeout,
    non2xx: e.status,
    // Named as the autocannon generator names them. ECONNREFUSED: a request that never reached the
    // server (wrk reports a refused non-blocking connect as a connect or a write error); ECONNRESET:
    // a request in flight lost (a read error: the connection ended before its answer).
    errorCodes: { ECONNREFUSED: e.connect! + e.write!, ECONNRESET: e.read },
    answeredTotal,
  };
}

/** Moves the answered lines of wrk's one thread (`<file>.0`) to `file`; returns their count. */
function mergeAnswered(file: string): number {
  const part = `${file}.0`;
  const lines = existsSync(part) ? readFileSync(part, "utf8").split("\n").filter(Boolean) : [];
  rmSync(part, { force: true });
  writeFileSync(file, lines.join("\n"));
  return lines.length;
}
