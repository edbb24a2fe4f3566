/**
 * The real edge runtimes the edge tests run in, each started by the test itself:
 * - workerd through miniflare (npm devDependency; the workerd binary comes with it),
 * - deno (npm devDependency `deno`, which ships the binary),
 * - headless Chromium (Debian's `chromium` package, see scripts/ci-prereqs.sh) driven by playwright-core.
 *
 * A missing runtime skips its tests locally (with a note) but fails them in CI (CI=true), so a CI
 * machine without it cannot report green.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

export type RuntimeName = "workerd" | "deno" | "chromium";

export const CHROMIUM_PATH = process.env.ODD_CHROMIUM_PATH ?? "/usr/bin/chromium";

export function denoPath(): string {
  return path.join(ROOT, "node_modules/deno/deno");
}

function workerdPath(): string | undefined {
  try {
    return require.resolve("workerd/bin/workerd");
  } catch {
    return undefined;
  }
}

/** Why the runtime cannot run here, or undefined when it can. */
export function missingRuntime(name: RuntimeName): string | undefined {
  switch (name) {
    case "workerd":
      return workerdPath() ? undefined : "workerd (npm devDependency miniflare) is not installed: run npm ci";
    case "deno":
      return existsSync(denoPath()) ? undefined : "deno (npm devDependency deno) is not installed: run npm ci";
    case "chromium":
      return existsSync(CHROMIUM_PATH)
        ? undefined
        : `chromium not found at ${CHROMIUM_PATH}: run scripts/ci-prereqs.sh (apt-get install chromium)`;
  }
}

/**
 * How a suite needing `name` should run: `{ skip: false }` when available; locally a skip with a
 * reason; in CI a thrown error at collection time (a red run, never a silent skip).
 */
export function runtimeGate(name: RuntimeName): { skip: boolean; reason?: string } {
  const missing = missingRuntime(name);
  if (!missing) return { skip: false };
  if (process.env.CI && process.env.CI !== "false") {
    throw new Error(`edge tests need ${name} in CI: ${missing}`);
  }
  console.warn(`skipping ${name} tests: ${missing}`);
  return { skip: true, reason: missing };
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DenoProcess {
  /** The first line the script printed to stdout (e.g. "listening on http://127.0.0.1:1234"). */
  firstLine: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `deno run` on a script with the given permissions (offline: no update check, no remote
 * imports), and resolves once the script printed its first line on stdout.
 */
export async function startDeno(script: string, opts: { args?: string[]; cwd: string; env?: Record<string, string> }): Promise<DenoProcess> {
  const child: ChildProcess = spawn(
    denoPath(),
    ["run", "--no-prompt", "--no-remote", "--no-npm", "--no-config", "--no-lock", ...(opts.args ?? []), script],
    {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? "", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: path.join(opts.cwd, ".deno"), NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deno did not start within 20 s: ${err}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`deno exited (${code}) before printing: ${err}`));
    });
  });
  return {
    firstLine,
    output: () => out + err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Runs a deno script to completion (`args`: deno flags, `scriptArgs`: the script's); resolves with its stdout. */
export async function runDeno(
  script: string,
  opts: { args?: string[]; scriptArgs?: string[]; cwd: string; timeoutMs?: number },
): Promise<string> {
  const child = spawn(
    denoPath(),
    ["run", "--no-prompt", "--no-remote", "--no-npm", "--no-config", "--no-lock", ...(opts.args ?? []), script, ...(opts.scriptArgs ?? [])],
    {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? "", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: path.join(opts.cwd, ".deno"), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`deno ${script} failed (${code ?? signal}): ${err || out}`));
    });
  });
}

/** Chromium flags for a quiet, offline, throwaway headless run. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
