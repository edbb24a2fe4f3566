/**
 * Runs the load generator (bench/service/load.ts) in a process of its own against `url` and returns
 * the summary it prints as its last line. `args` are load.ts's own options (--duration, …).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT } from "../lib/processes";

export async function runLoadGenerator(url: string, args: readonly string[]): Promise<Record<string, any>> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "load.ts"), "--url", url, ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(out.trim().split("\n").pop()!) as Record<string, any>;
}
