/**
 * Process helpers shared by the service benchmarks: which build of `odd` to run, free ports,
 * waiting for readiness, and the resident memory of a process tree (Linux /proc).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

function newestMtime(dir: string): number {
  return readdirSync(dir).reduce((m, name) => {
    const full = path.join(dir, name);
    const info = statSync(full);
    return Math.max(m, info.isDirectory() ? newestMtime(full) : info.mtimeMs);
  }, 0);
}

/** The built CLI when it is newer than every source file, else the sources through tsx. */
export function serviceEntry(): { args: string[]; kind: "dist" | "source" } {
  const dist = path.join(ROOT, "dist", "esm", "cli.js");
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(path.join(ROOT, "src")))
    return { args: [dist], kind: "dist" };
  return { args: ["--import", "tsx", path.join(ROOT, "src", "cli", "index.ts")], kind: "source" };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; rejects after `timeoutMs` or when `exited()` turns true. */
export async function waitFor200(url: string, exited: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`the process serving ${url} exited before it was ready`);
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone, or not Linux
  }
  return out;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident bytes of a process and all its descendants (cluster workers); 0 where /proc is missing. */
export function treeRss(pid: number): number {
  let total = rssOf(pid);
  for (const child of childrenOf(pid)) total += treeRss(child);
  return total;
}
