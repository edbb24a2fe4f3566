/**
 * HTTP latency of the decisions endpoint: a fastify app with the offers plugin listening on
 * 127.0.0.1, driven by an undici pool keeping a fixed number of requests in flight.
 */
import Fastify from "fastify";
import { Pool } from "undici";
import { offersPlugin } from "../../src/offers/http-plugin";
import type { DecisionIndex } from "../../src/offers/core/decision-index";
import type { BenchCatalog } from "./catalog";
import { createBenchRuntime, requestBody } from "./lib";

export interface HttpResult {
  inFlight: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function benchHttp(
  catalog: BenchCatalog,
  index: DecisionIndex,
  inFlight = 32,
): Promise<HttpResult> {
  const total = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
  const app = Fastify({ logger: false });
  await app.register(offersPlugin, { runtime: createBenchRuntime(catalog, index) });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
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
  await app.close();
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    inFlight,
    requests: total,
    perSecond: Math.round(total / seconds),
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    errors,
  };
}
