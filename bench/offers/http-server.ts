/**
 * The server side of the HTTP benchmark, run as its own process so that the load generator does
 * not share its event loop: the offers plugin over the benchmark catalog on 127.0.0.1, port on stdout.
 */
import Fastify from "fastify";
import { offersPlugin } from "../../src/offers/http-plugin";
import { DecisionIndex } from "../../src/offers/core/decision-index";
import { buildCatalog } from "./catalog";
import { BENCH_NOW, createBenchRuntime } from "./lib";

const catalog = buildCatalog();
const index = DecisionIndex.fromSnapshot(catalog.snapshot, BENCH_NOW);
for (const a of catalog.activities) index.candidates(index.activity(a.id)!, a.placement);
const app = Fastify({ logger: false });
await app.register(offersPlugin, { runtime: createBenchRuntime(catalog, index) });
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${address}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
