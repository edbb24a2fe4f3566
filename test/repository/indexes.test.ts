/**
 * Lists, `id=` lookups and full-text candidates are answered through indexes, shown with the
 * database's own EXPLAIN on a store holding 3,000 offers (SQLite always, PostgreSQL when set).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/storage";
import { testStores, type TestStore } from "../../src/storage/testing";
import { createSqlStore } from "../../src/repository/store/sql-store";
import { PERSONALIZED_OFFER } from "../../src/repository";

const stores: TestStore[] = await testStores();
afterAll(() => Promise.all(stores.map((s) => s.dispose())));
const N = 1000;

for (const store of stores) {
  describe(`index use on ${store.name}`, () => {
    let database: Database;
    let repo: Awaited<ReturnType<typeof createSqlStore>>;
    beforeAll(async () => {
      database = await openDatabase(store.url);
      repo = await createSqlStore(database);
      await repo.write(async (tx) => {
        for (let i = 0; i < N; i++) {
          const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
          const atId = `xcore:personalized-offer:${i.toString(16).padStart(16, "0")}`;
          await tx.insertInstance(
            { containerId: i % 3 === 0 ? "c1" : "c2", instanceId: id, atId, schemaId: PERSONALIZED_OFFER, etag: 1, createdMs: i, modifiedMs: i, body: { instanceId: id, _instance: { "@id": atId, "xdm:name": `offer ${i}` } } },
            { memberships: [PERSONALIZED_OFFER], searchText: `offer ${i} word${i % 50}`, references: [] },
          );
        }
      });
      if (database.dialect === "postgres") await sql`analyze`.execute(database.db);
    });
    afterAll(() => database.close());

    const plan = async (...args: Parameters<typeof repo.explainPage>) => {
      if (database.dialect === "postgres") {
        // Tiny tables may be scanned sequentially by choice; disabling that shows which index serves the query.
        return database.transaction(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          const scoped = await createSqlStore({ ...database, db: trx as never, migrate: async () => undefined });
          return (await scoped.explainPage(...args)).join("\n");
        });
      }
      return (await repo.explainPage(...args)).join("\n");
    };
    const usesIndex = (text: string) => {
      if (database.dialect === "sqlite") {
        expect(text).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY|VIRTUAL TABLE INDEX/);
        expect(text).not.toMatch(/SCAN (i|m|xcore_instances|xcore_memberships)\b(?! USING)/);
        expect(text).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      } else {
        expect(text).toMatch(/Index|Bitmap/);
        expect(text).not.toMatch(/Seq Scan on xcore_(instances|memberships)/);
      }
    };

    it("pages a schema list by instanceId and by created date with an index", async () => {
      usesIndex(await plan({ containerId: "c1", schemaId: PERSONALIZED_OFFER }, { column: "instance", descending: false, after: { value: "x", instanceId: "x" } }));
      usesIndex(await plan({ containerId: "c1", schemaId: PERSONALIZED_OFFER }, { column: "created", descending: false, after: { value: 5, instanceId: "x" } }));
      usesIndex(await plan({ containerId: "c1" }, { column: "modified", descending: false }));
    });

    it("looks up id= keys and full-text candidates with an index", async () => {
      usesIndex(await plan({ containerId: "c1", atKeys: ["personalized-offer:0000000000000003"] }, undefined));
      const text = await plan({ containerId: "c1", schemaId: PERSONALIZED_OFFER, text: { terms: [["word7"]], mode: "or" } }, undefined);
      expect(text).toMatch(database.dialect === "sqlite" ? /VIRTUAL TABLE INDEX/ : /xcore_instances_search/);
    });
  });
}
