/**
 * HTTP latency of the decisions endpoint: the offers plugin in its own process (http-server.ts)
 * on 127.0.0.1, driven from this process by an undici pool keeping a fixed number of requests in
 * flight. The first 1,000 answers warm up and are not counted. With `workers` > 1 the server runs
 * that many node:cluster workers behind one port (an additional figure; the machine's cores are
 * shared with the load generator).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import type { BenchCatalog } from "./catalog";
import { requestBody } from "./lib";

export interface HttpResult {
  inFlight: number;
  workers: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function startServer(workers: number, floor: boolean): Promise<{ address: string; stop(): void }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "http-server.ts");
  const args = ["--import", "tsx", script, "--workers", String(workers), ...(floor ? ["--floor"] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`benchmark server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  return { address, stop: () => child.kill("SIGTERM") };
}

/** `floor`: the same load against fastify answering a canned decision (http-server.ts --floor). */
export async function benchHttp(
  catalog: BenchCatalog,
  inFlight = 32,
  workers = 1,
  floor = false,
): Promise<HttpResult> {
  const total = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
  const server = await startServer(workers, floor);
  const address = server.address;
  const pool = new Pool(address, { connections: inFlight, pipelining: 1 });
  const bodies = Array.from({ length: 1024 }, (_, i) => JSON.stringify(requestBody(catalog, i)));
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const started = performance.now();
      const res = await pool.request({
        method: "POST",
        path: "/data/core/ode/bench/decisions",
        headers: { "content-type": "application/json" },
        body: bodies[i % bodies.length],
      });
      await res.body.text();
      if (res.statusCode !== 200) errors++;
      if (i >= 1000) latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  server.stop();
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    inFlight,
    workers,
    requests: total,
    perSecond: Math.round(total / seconds),
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    errors,
  };
}
