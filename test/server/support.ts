/**
 * Helpers for tests that run the real service or CLI as a child process, and a stand-in for the
 * upstream Delivery API (node:http on 127.0.0.1) that records what it receives.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const SAMPLE_ARTIFACT = path.join(ROOT, "samples", "sample-artifact.json");
const DIST_CLI = path.join(ROOT, "dist", "esm", "cli.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const info = statSync(full);
    newest = Math.max(newest, info.isDirectory() ? newestMtime(full) : info.mtimeMs);
  }
  return newest;
}

/**
 * How to run the CLI: the build (dist/esm/cli.js, as CI runs `npm run build` before the tests)
 * when it is newer than every source file, else the sources through tsx.
 */
export function cliInvocation(): { args: string[]; kind: "dist" | "source" } {
  if (existsSync(DIST_CLI) && statSync(DIST_CLI).mtimeMs >= newestMtime(path.join(ROOT, "src"))) {
    return { args: [DIST_CLI], kind: "dist" };
  }
  return { args: ["--import", "tsx", path.join(ROOT, "src", "cli", "index.ts")], kind: "source" };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs `odd <args>` to completion. */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliInvocation().args, ...args], {
      cwd: ROOT,
      env: { ...process.env, ODD_ORG_ID: "", ODD_CLIENT: "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        stdoutBytes,
      });
    });
    child.stdin.end(options.input ?? "");
  });
}

export interface LogLine {
  msg?: string;
  level?: string;
  pid?: number;
  url?: string;
  port?: number;
  [key: string]: unknown;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Parsed JSON log lines seen so far. */
  logs: LogLine[];
  output(): string;
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a process whose stdout carries JSON log lines (other lines are kept in output()). */
export function spawnLogging(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): RunningProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let text = "";
  let pending = "";
  const waiters: { msg: string; resolve: (l: LogLine) => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    text += d.toString("utf8");
    pending += d.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      logs.push(parsed);
      for (const w of waiters.filter((x) => x.msg === parsed.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });
  child.stderr!.on("data", (d: Buffer) => (text += d.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    output: () => text,
    exited,
    waitForLog(msg, timeoutMs = 20_000) {
      const seen = logs.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${msg}" log within ${timeoutMs} ms:\n${text}`)),
          timeoutMs,
        );
        exited.then(({ code }) => reject(new Error(`process exited (${code}) before "${msg}":\n${text}`)));
        waiters.push({ msg, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}

export interface ServiceProcess extends RunningProcess {
  url: string;
  port: number;
  pid: number;
}

/** Starts `odd serve` on a free port and waits until it listens and /ready answers 200. */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const proc = spawnLogging(process.execPath, [...cliInvocation().args, "serve"], {
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    // Tests that do not name a store use a throw-away one (not ./.odd/odd.db of the checkout).
    ODD_STORE: "sqlite::memory:",
    ...env,
  });
  const listening = await proc.waitForLog("listening");
  const url = String(listening.url);
  await waitForReady(url);
  return { ...proc, url, port: Number(listening.port), pid: Number(listening.pid) };
}

/** Polls GET /ready until it answers 200. */
export async function waitForReady(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/ready did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
}

export interface UpstreamStandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const answer = (list: any[] | undefined) =>
  Array.isArray(list)
    ? list.map((m) => ({
        index: m.index,
        name: m.name,
        options: [{ type: "json", content: { from: "upstream", mbox: m.name } }],
      }))
    : undefined;

/** A Delivery API stand-in: answers every mbox with `{from: "upstream"}` content and records the calls. */
export async function startUpstream(): Promise<UpstreamStandIn> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    const parsed = new URL(req.url ?? "/", "http://stand-in");
    let body: any = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    requests.push({
      method: req.method ?? "",
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      body,
    });
    const response: Record<string, unknown> = {
      status: 200,
      requestId: body?.requestId,
      client: "demo",
      id: body?.id ?? {},
    };
    const execute = answer(body?.execute?.mboxes);
    const prefetch = answer(body?.prefetch?.mboxes);
    if (execute) response.execute = { mboxes: execute };
    if (prefetch) response.prefetch = { mboxes: prefetch };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Mbox names a recorded Delivery request asked to decide (execute and prefetch). */
export function requestedMboxes(r: RecordedRequest): string[] {
  const names = [...(r.body?.execute?.mboxes ?? []), ...(r.body?.prefetch?.mboxes ?? [])].map(
    (m: any) => m.name,
  );
  return names;
}

export function postDelivery(url: string, body: unknown, query = ""): Promise<Response> {
  return fetch(`${url}/rest/v1/delivery${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Stops what a test started: the service (SIGKILL when it still runs) and the upstream stand-in. */
export async function stopStarted(
  service: ServiceProcess | undefined,
  upstream: UpstreamStandIn | undefined,
): Promise<void> {
  if (service && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill("SIGKILL");
    await service.exited;
  }
  await upstream?.close();
}
