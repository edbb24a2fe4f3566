/**
 * Bounded load test of the decisioning service (not a vitest test).
 *
 *   node --import tsx bench/load/server-load.ts [--requests 20000] [--concurrency 32]
 *        [--connections 8] [--log-level info] [--warmup 1000] [--notification-concurrency 32]
 *        [--upstream stand-in|off]
 *
 * Three processes on loopback: this orchestrator (which also runs a stand-in upstream that accepts
 * the notifications), the service (`odd serve`, built dist/esm/cli.js when fresh, else the sources
 * through tsx), and a load generator (this file with --worker) sending Delivery requests through an
 * undici Pool (HTTP/1.1 keep-alive, pipelining) with a fixed number of requests in flight.
 * Prints one JSON line and writes bench/results/server-load.json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { DEFAULT_NOTIFICATION_CONCURRENCY } from "../../src/server/config";
import { freePort, ROOT, serviceEntry } from "../lib/processes";

const MAX_REQUESTS = 1_000_000;
const DEADLINE_MS = 180_000;

const { values } = parseArgs({
  options: {
    worker: { type: "string" },
    requests: { type: "string", default: "20000" },
    warmup: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "32" },
    connections: { type: "string", default: "8" },
    "log-level": { type: "string", default: "info" },
    "notification-concurrency": { type: "string", default: String(DEFAULT_NOTIFICATION_CONCURRENCY) },
    // "stand-in": notifications go to a local upstream (this process); "off": answered inside the service.
    upstream: { type: "string", default: "stand-in" },
  },
});
const requests = Math.min(MAX_REQUESTS, Math.max(1, Number(values.requests)));
const warmup = Math.max(0, Number(values.warmup));
const concurrency = Math.max(1, Number(values.concurrency));
const connections = Math.max(1, Math.min(concurrency, Number(values.connections)));

function requestBody(i: number): string {
  return JSON.stringify({
    id: { tntId: `load-visitor-${i % 5000}` },
    context: {
      channel: "web",
      address: { url: i % 3 === 0 ? "https://shop.example/sale/shoes" : "https://shop.example/" },
      userAgent:
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    },
    execute: {
      pageLoad: {},
      mboxes: [
        { name: "hero", index: 1 },
        { name: "banner", index: 2 },
      ],
    },
    prefetch: { mboxes: [{ name: "pricing", index: 1 }] },
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The load generator: sends `count` requests with `concurrency` in flight, reports latencies. */
async function runWorker(url: string): Promise<void> {
  const pool = new Pool(url, { connections, pipelining: Math.ceil(concurrency / connections) });
  const send = async (i: number): Promise<{ ms: number; status: number }> => {
    const t0 = performance.now();
    try {
      const res = await pool.request({
        path: `/rest/v1/delivery?client=demo&sessionId=load-session-${i % 5000}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: requestBody(i),
      });
      await res.body.arrayBuffer();
      return { ms: performance.now() - t0, status: res.statusCode };
    } catch {
      return { ms: performance.now() - t0, status: 0 };
    }
  };
  const run = async (count: number, record: boolean) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let next = 0;
    const loop = async () => {
      while (next < count) {
        const r = await send(next++);
        if (!record) continue;
        latencies.push(r.ms);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { latencies, statuses, durationMs: performance.now() - t0 };
  };
  await run(warmup, false);
  const { latencies, statuses, durationMs } = await run(requests, true);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const errors = Object.entries(statuses).reduce((n, [s, c]) => (s === "200" ? n : n + c), 0);
  process.stdout.write(
    JSON.stringify({
      durationMs: round(durationMs, 1),
      throughputRps: round(requests / (durationMs / 1000), 0),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] ?? NaN),
        mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      },
      statuses,
      errors,
    }) + "\n",
  );
}

function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
}

async function main(): Promise<void> {
  if (values.worker) return runWorker(values.worker);
  const deadline = setTimeout(() => {
    process.stderr.write(`server-load: exceeded ${DEADLINE_MS} ms\n`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  let notificationsReceived = 0;
  const upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      try {
        notificationsReceived +=
          (JSON.parse(body) as { notifications?: unknown[] }).notifications?.length ?? 0;
      } catch {
        // not JSON
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":200}');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const entry = serviceEntry();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = spawn(process.execPath, ["--expose-gc", ...entry.args, "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: values["log-level"],
      ODD_ARTIFACT: path.join(ROOT, "samples", "sample-artifact.json"),
      ODD_UPSTREAM: values.upstream === "off" ? "off" : upstreamUrl,
      ODD_DECISIONING_METHOD: "on-device",
      ODD_NOTIFICATION_CONCURRENCY: values["notification-concurrency"],
      ODD_SHUTDOWN_TIMEOUT: "60000",
    },
    // Logs go to /dev/null: written (and paid for) by the service, not kept.
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<number | null>((r) => service.on("exit", (code) => r(code)));
  void exited.then((code) => {
    if (code !== 0) process.stderr.write(`server-load: the service exited with ${code}\n`);
  });
  let serviceDone = false;
  void exited.then(() => (serviceDone = true));
  for (;;) {
    if (serviceDone) throw new Error("the service exited before it was ready");
    const res = await fetch(`${url}/ready`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const liveMetrics = async () => (await fetch(`${url}/metrics?gc=1`)).text();
  const before = await liveMetrics();

  // Two halves of the load, the heap read after a forced GC after each: growth between the two
  // (same work, same caches already warm) is what a leak would show.
  const runLoadPhase = async (count: number) => {
    const worker = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        import.meta.filename,
        "--worker",
        url,
        "--requests",
        String(count),
        "--warmup",
        String(warmup),
        "--concurrency",
        String(concurrency),
        "--connections",
        String(connections),
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    worker.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const workerCode = await new Promise<number | null>((r) => worker.on("exit", (code) => r(code)));
    if (workerCode !== 0) throw new Error(`load generator exited with ${workerCode}`);
    return JSON.parse(out.trim().split("\n").pop()!) as Record<string, any>;
  };
  const first = await runLoadPhase(Math.floor(requests / 2));
  await new Promise((r) => setTimeout(r, 1000));
  const middle = await liveMetrics();
  const second = await runLoadPhase(requests - Math.floor(requests / 2));
  const load = combineLoads(first, second);

  await new Promise((r) => setTimeout(r, 1000)); // let queued notifications go out
  const after = await liveMetrics();
  const stopStarted = performance.now();
  service.kill("SIGTERM");
  const exitCode = await exited;
  const shutdownMs = Math.round(performance.now() - stopStarted);
  upstream.close();

  const result = {
    benchmark: "server-load",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    service: entry.kind,
    logLevel: values["log-level"],
    upstream: values.upstream,
    requests,
    warmup,
    concurrency,
    connections,
    pipelining: Math.ceil(concurrency / connections),
    request: "execute pageLoad + hero + banner, prefetch pricing; 5000 distinct visitors",
    ...load,
    heapUsedAfterGcBytes: {
      before: metric(before, "odd_process_heap_used_bytes"),
      afterFirstHalf: metric(middle, "odd_process_heap_used_bytes"),
      afterSecondHalf: metric(after, "odd_process_heap_used_bytes"),
    },
    rssBytes: {
      before: metric(before, "odd_process_resident_memory_bytes"),
      after: metric(after, "odd_process_resident_memory_bytes"),
    },
    decisionsOk: metric(after, 'odd_decisions_total{method="on-device",outcome="ok"}'),
    notifications: {
      produced:
        metric(after, 'odd_notifications_total{outcome="sent"}') +
        metric(after, 'odd_notifications_total{outcome="dropped"}') +
        metric(after, "odd_notifications_queued"),
      sentBeforeStop: metric(after, 'odd_notifications_total{outcome="sent"}'),
      droppedQueueFull: metric(after, 'odd_notifications_total{outcome="dropped"}'),
      queuedAtStop: metric(after, "odd_notifications_queued"),
      receivedByUpstream: notificationsReceived,
      concurrency: Number(values["notification-concurrency"]),
    },
    shutdownMs,
    serviceExitCode: exitCode,
  };
  const line = JSON.stringify(result);
  process.stdout.write(`${line}\n`);
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(
    path.join(ROOT, "bench", "results", "server-load.json"),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`server-load: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/** Merges the two halves' reports: counts add up, latencies are taken from the larger sample. */
function combineLoads(a: Record<string, any>, b: Record<string, any>): Record<string, unknown> {
  const durationMs = (a.durationMs ?? 0) + (b.durationMs ?? 0);
  const statuses: Record<string, number> = { ...(a.statuses ?? {}) };
  for (const [k, v] of Object.entries<number>(b.statuses ?? {})) statuses[k] = (statuses[k] ?? 0) + v;
  const total = Object.values(statuses).reduce((x, y) => x + y, 0);
  return {
    durationMs,
    throughputRps: Math.round((total / durationMs) * 1000),
    latencyMs: { firstHalf: a.latencyMs, secondHalf: b.latencyMs },
    statuses,
    errors: (a.errors ?? 0) + (b.errors ?? 0),
  };
}
