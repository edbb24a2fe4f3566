/**
 * `npm run bench:repository` — the XCore repository at 10,000 and 100,000 offers on SQLite and (when
 * ODD_TEST_POSTGRES_URL or ODD_BENCH_POSTGRES_URL is set) PostgreSQL: create, read, a list page with
 * a selective filter, a search for a rare term, and an unfiltered first page, through the
 * Repository service (validation, rules, transactions; no HTTP). The scale check: a filtered page
 * and a search at 100,000 cost at most 2× what they cost at 10,000.
 *
 *   npm run bench:repository                              10k and 100k offers
 *   npm run bench:repository -- --sizes 2000,20000        smaller
 *   npm run bench:repository -- --stores postgres         one store
 *
 * Seeding goes through the import path (`odd repo import`, 500 records per transaction).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { openRepository, OFFER_PLACEMENT, PERSONALIZED_OFFER, type Repository } from "../src/repository";
import { importLines } from "../src/repository/transfer";
import { createPostgresTestStore, createSqliteTestStore, type TestStore } from "../src/storage/testing";
import { machine, machineLine } from "./lib/report";

const CALLER = { user: "bench", clientId: "bench", service: false };
const TEXT = "https://ns.adobe.com/experience/offer-management/content-component-text";

interface Measure {
  operation: string;
  medianMs: number;
  p95Ms: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function timed(operation: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<Measure> {
  for (let i = 0; i < Math.min(20, runs); i++) await fn(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { operation, medianMs: at(0.5), p95Ms: at(0.95) };
}

/** Export-format lines: one container, one placement, `size` offers (`Offer i`, tokens `batch{i/10}`). */
function* seedLines(size: number): Generator<string> {
  const now = Date.UTC(2026, 0, 1);
  const c = "bench-container";
  const body = (id: string, schema: string, instance: Record<string, unknown>, ms: number) => ({
    instanceId: id, schemas: [schema], productContexts: ["acp"], "repo:etag": 1,
    "repo:createdDate": new Date(ms).toISOString(), "repo:lastModifiedDate": new Date(ms).toISOString(),
    "repo:createdBy": "bench", "repo:lastModifiedBy": "bench", "repo:createdByClientId": "bench", "repo:lastModifiedByClientId": "bench",
    _instance: instance, _links: { self: { name: `${schema}#${id}`, href: `/${c}/instances/${id}`, "@type": schema } },
  });
  yield JSON.stringify({ kind: "container", record: { id: c, etag: 1, createdMs: now, modifiedMs: now, body: { instanceId: c, productContexts: ["acp"], _instance: { "repo:name": "bench" }, _links: {} } } });
  const placement = "xcore:offer-placement:00000000000000aa";
  yield JSON.stringify({ kind: "instance", record: { containerId: c, instanceId: "p-0", atId: placement, schemaId: OFFER_PLACEMENT, etag: 1, createdMs: now, modifiedMs: now, body: body("p-0", OFFER_PLACEMENT, { "@id": placement, "xdm:name": "web", "xdm:componentType": TEXT }, now) } });
  for (let i = 0; i < size; i++) {
    const id = `o-${String(i).padStart(7, "0")}`;
    const atId = `xcore:personalized-offer:${i.toString(16).padStart(16, "0")}`;
    const instance = {
      "@id": atId, "xdm:name": `Offer ${i}`, "xdm:status": i % 2 ? "approved" : "draft", "xdm:rank": { "xdm:priority": i % 100 },
      "xdm:representations": [{ "xdm:placement": placement, "xdm:components": [{ "@type": TEXT, "dc:format": "text/plain", "xdm:copyline": `batch${Math.floor(i / 10)} sale ${i % 7}` }] }],
    };
    yield JSON.stringify({ kind: "instance", record: { containerId: c, instanceId: id, atId, schemaId: PERSONALIZED_OFFER, etag: 1, createdMs: now + i, modifiedMs: now + i, body: body(id, PERSONALIZED_OFFER, instance, now + i) } });
  }
}

async function measureStore(repo: Repository, size: number): Promise<Measure[]> {
  const c = "bench-container";
  const schema = [PERSONALIZED_OFFER];
  const pick = (i: number) => (i * 7919) % size;
  const placement = "xcore:offer-placement:00000000000000aa";
  const offer = (i: number) => ({ _instance: { "xdm:name": `New ${i}`, "xdm:status": "draft", "xdm:rank": { "xdm:priority": 1 }, "xdm:representations": [{ "xdm:placement": placement, "xdm:components": [{ "@type": TEXT, "dc:format": "text/plain" }] }] }, _links: {} });
  return [
    await timed("create", 200, (i) => repo.create(c, PERSONALIZED_OFFER, offer(i), CALLER)),
    await timed("read", 500, (i) => repo.read(c, `o-${String(pick(i)).padStart(7, "0")}`)),
    await timed("list page, filter _instance.xdm:name==Offer N", 200, (i) => repo.list(c, { schema, property: [`_instance.xdm:name==Offer ${pick(i)}`] }, false)),
    await timed("search q=batchN (10 matches)", 200, (i) => repo.list(c, { schema, q: [`batch${Math.floor(pick(i) / 10)}`] }, true)),
    await timed("list page, unfiltered (total counts all)", 100, () => repo.list(c, { schema, limit: ["20"] }, false)),
  ];
}

async function main(): Promise<void> {
  const sizes = (arg("sizes") ?? "10000,100000").split(",").map(Number);
  const pgUrl = process.env.ODD_BENCH_POSTGRES_URL ?? process.env.ODD_TEST_POSTGRES_URL;
  const wanted = (arg("stores") ?? "sqlite,postgres").split(",");
  const kinds = (["sqlite", "postgres"] as const).filter((k) => wanted.includes(k) && (k === "sqlite" || pgUrl));
  const results: Record<string, Record<number, Measure[]>> = {};
  for (const kind of kinds) {
    results[kind] = {};
    for (const size of sizes) {
      const store: TestStore = kind === "sqlite" ? createSqliteTestStore() : await createPostgresTestStore(pgUrl!);
      const repo = await openRepository({ store: store.url });
      try {
        const started = performance.now();
        await importLines(repo, Readable.from((function* () { for (const l of seedLines(size)) yield `${l}\n`; })()));
        process.stderr.write(`${kind} ${size}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        results[kind][size] = await measureStore(repo, size);
      } finally {
        await repo.store.close();
        await store.dispose();
      }
    }
  }
  const report = renderReport(results, sizes);
  process.stdout.write(report);
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "repository.json"), JSON.stringify({ machine: machine(), sizes, results }, null, 2));
}

function renderReport(results: Record<string, Record<number, Measure[]>>, sizes: number[]): string {
  const [small, large] = [sizes[0]!, sizes[sizes.length - 1]!];
  const lines = [`Machine: ${machineLine(machine())}`, "", `| store | operation | median ms @${small} | p95 @${small} | median ms @${large} | p95 @${large} | ratio |`, "| --- | --- | --- | --- | --- | --- | --- |"];
  for (const [kind, bySize] of Object.entries(results)) {
    bySize[small]!.forEach((m, i) => {
      const big = bySize[large]![i]!;
      lines.push(`| ${kind} | ${m.operation} | ${m.medianMs.toFixed(2)} | ${m.p95Ms.toFixed(2)} | ${big.medianMs.toFixed(2)} | ${big.p95Ms.toFixed(2)} | ${(big.medianMs / m.medianMs).toFixed(2)}× |`);
    });
  }
  return `${lines.join("\n")}\n`;
}

await main();
