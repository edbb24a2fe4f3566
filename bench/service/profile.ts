/**
 * `npm run bench:service:profile`: CPU profile of `odd serve --upstream off --workers 1` under the
 * bench:service load (wrk or autocannon, 16 connections, a new visitor per request executing `hero`).
 * Writes the .cpuprofile to bench/results/ and prints self time per function and per file.
 *
 *   npm run bench:service:profile -- [--duration 10] [--upstream off|stand-in]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatProfile, summarizeProfile } from "../lib/cpu-profile";
import { freePort, ROOT, serviceEntry, waitFor200 } from "../lib/processes";
import { runLoadGenerator } from "./run-load";
import { startStandIn } from "./stand-in";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    upstream: { type: "string", default: "off" },
  },
});

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odd-profile-"));
  const standIn = values.upstream === "stand-in" ? await startStandIn() : undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entry = serviceEntry();
  const service = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, ...entry.args, "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      ODD_UPSTREAM: standIn ? standIn.url : "off",
      ODD_WORKERS: "1",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let exited = false;
  const done = new Promise<void>((r) => service.on("exit", () => ((exited = true), r())));
  await waitFor200(`${url}/ready`, () => exited);
  const load = await runLoadGenerator(url, {
    duration: Number(values.duration),
    warmup: 3,
    connections: 16,
    prefix: "p-",
  });
  service.kill("SIGTERM");
  await done;
  await standIn?.close();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  const kept = path.join(ROOT, "bench", "results", `service-${values.upstream}.cpuprofile`);
  renameSync(path.join(dir, file), kept);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `load: ${JSON.stringify(load)}\nprofile: ${path.relative(ROOT, kept)} (${entry.kind})\n\n`,
  );
  process.stdout.write(formatProfile(summarizeProfile(kept, ROOT), 45));
}

main().catch((err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
