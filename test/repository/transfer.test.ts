/**
 * `odd repo export` / `odd repo import` (the built CLI): an export imported into an empty store
 * (PostgreSQL when available, else another SQLite file) exports to the same bytes, and the
 * imported store answers lists and searches.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { openRepository } from "../../src/repository";
import { createPostgresTestStore, createSqliteTestStore, POSTGRES_TEST_ENV, type TestStore } from "../../src/storage/testing";
import { OM, create, createContainer, offer, placement, startHarness } from "./support";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/odd.js");
const source = createSqliteTestStore();
const target: TestStore = process.env[POSTGRES_TEST_ENV] ? await createPostgresTestStore(process.env[POSTGRES_TEST_ENV]!) : createSqliteTestStore();
const scratch = createSqliteTestStore();
afterAll(() => Promise.all([source, target, scratch].map((s) => s.dispose())));

it(`round-trips sqlite → ${target.name} byte for byte`, async () => {
  const h = await startHarness(source.url);
  try {
    const c = await createContainer(h);
    const p = await create(h, c, "offer-placement", placement("web"));
    const tag = await create(h, c, "tag", { "xdm:name": "Sommer" });
    for (let i = 0; i < 30; i++) await create(h, c, "personalized-offer", offer(`Angebot ${i} Fahrrad`, p["@id"], { "xdm:tags": [tag["@id"]] }));
    await h.call("PATCH", `/${c}/instances/${tag.instanceId}`, { body: [{ op: "replace", path: "/_instance/xdm:name", value: "Sommer 2" }], contentType: `application/json-patch+json` });
  } finally {
    await h.close();
  }
  const dir = path.dirname(scratch.url.slice("sqlite:".length));
  const first = path.join(dir, "first.jsonl");
  const second = path.join(dir, "second.jsonl");
  await run(process.execPath, [BIN, "repo", "export", "--store", source.url, "--output", first]);
  await run(process.execPath, [BIN, "repo", "import", "--store", target.url, "--input", first]);
  const { stdout } = await run(process.execPath, [BIN, "repo", "export", "--store", target.url], { maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(second, stdout);
  const original = readFileSync(first, "utf8");
  expect(original.split("\n").filter(Boolean)).toHaveLength(1 + 32);
  expect(stdout).toBe(original);

  const imported = await openRepository({ store: target.url });
  try {
    const c = JSON.parse(original.split("\n")[0]!).record.id as string;
    const page = await imported.list(c, { schema: [`${OM}/personalized-offer`], q: ["fahrrad"], limit: ["5"] }, true);
    expect(page.total).toBe(30);
    const tags = await imported.list(c, { property: ["_instance.xdm:name==Sommer 2"] }, false);
    expect(tags.total).toBe(1);
  } finally {
    await imported.store.close();
  }
});

it("refuses a malformed line with a coded error and exit code 1", async () => {
  const file = path.join(path.dirname(scratch.url.slice("sqlite:".length)), "bad.jsonl");
  writeFileSync(file, '{"kind":"instance","record":{"__proto__":{}}}\n');
  const failure = await run(process.execPath, [BIN, "repo", "import", "--store", scratch.url, "--input", file]).catch((e) => e);
  expect(failure.code).toBe(1);
  expect(failure.stderr).toMatch(/ODE_ERR_/);
});

it("several processes opening one new SQLite store at once all migrate and succeed", async () => {
  const fresh = createSqliteTestStore();
  try {
    const runs = Array.from({ length: 4 }, () => run(process.execPath, [BIN, "repo", "export", "--store", fresh.url]));
    const results = await Promise.all(runs);
    for (const r of results) expect(r.stdout).toBe("");
  } finally {
    await fresh.dispose();
  }
});
