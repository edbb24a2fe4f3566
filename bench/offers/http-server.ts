/**
 * The server side of the HTTP benchmark, run as its own process so that the load generator does
 * not share its event loop: the offers plugin over the benchmark catalog on 127.0.0.1, address on
 * stdout.
 *
 * `--workers N` (N > 1) runs N node:cluster workers sharing one port (the primary hands out the
 * connections round-robin), each with its own index and its own in-memory capping counters. The
 * benchmark's caps are far from being reached, so every worker decides as a single process would;
 * a deployment with several workers shares counters through Redis to keep caps exact.
 */
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import Fastify, { type FastifyInstance } from "fastify";
import { offersPlugin } from "../../src/offers/http-plugin";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import type { OfferRuntime } from "../../src/offers/core/runtime";
import { buildCatalog, type BenchCatalog } from "./catalog";
import { BENCH_NOW, createBenchRuntime, requestBody } from "./lib";

const { values } = parseArgs({
  options: { workers: { type: "string", default: "1" }, floor: { type: "boolean", default: false } },
});
const workers = Math.max(1, Number(values.workers) || 1);
const DECISIONS_PATH = "/data/core/ode/:containerId/decisions";

/**
 * The HTTP floor: fastify parsing the request body and answering a canned decision of the real
 * size (the answer to the first benchmark request), so that the same load shows what HTTP alone
 * costs on this machine.
 */
async function floorRoute(app: FastifyInstance, runtime: OfferRuntime, catalog: BenchCatalog): Promise<void> {
  const canned = JSON.stringify(await runtime.decide("bench", requestBody(catalog, 0)));
  app.post(DECISIONS_PATH, async (_request, reply) => reply.type("application/json").send(canned));
}

async function serve(): Promise<string> {
  const catalog = buildCatalog();
  const index = DecisionIndex.fromSnapshot(catalog.snapshot, BENCH_NOW);
  for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
  const app = Fastify({ logger: false });
  const runtime = createBenchRuntime(catalog, index);
  if (values.floor) await floorRoute(app, runtime, catalog);
  else await app.register(offersPlugin, { runtime });
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
  return app.listen({ host: "127.0.0.1", port: 0 });
}

/** Forks the workers; prints the shared address once every one of them listens. */
function primary(): void {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on("listening", (address) => {
      if (++listening === workers) process.stdout.write(`http://127.0.0.1:${address.port}\n`);
    });
  }
  let stopping = false;
  cluster.on("exit", (_worker, code) => {
    if (!stopping && code !== 0) process.exit(code ?? 1);
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  // Workers close their servers through the primary: it stays until the last one has exited.
  process.on("SIGTERM", () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  });
}

if (workers > 1 && cluster.isPrimary) primary();
else {
  const address = await serve();
  if (workers === 1) process.stdout.write(`${address}\n`);
}
