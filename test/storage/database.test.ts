import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openDatabase, parseStoreUrl, type Database, type MigrationSet } from "../../src/storage";
import { testStores, type TestStore } from "../../src/storage/testing";
import { DecisioningError } from "../../src/errors";

const stores: TestStore[] = await testStores();
afterAll(() => Promise.all(stores.map((s) => s.dispose())));

const notes: MigrationSet = {
  namespace: "storage-test",
  steps: [
    {
      id: "001-notes",
      up: async (trx) => {
        await trx.schema
          .createTable("notes")
          .addColumn("id", "integer", (c) => c.primaryKey())
          .addColumn("text", "text", (c) => c.notNull())
          .execute();
      },
    },
  ],
};

describe("store URLs", () => {
  it("parses sqlite files, memory and postgres schemas", () => {
    const absolute = path.resolve("x", "odd.db");
    expect(parseStoreUrl(`sqlite:${absolute}`)).toEqual({ kind: "sqlite", file: absolute });
    expect(parseStoreUrl("sqlite:rel.db", "/base")).toEqual({ kind: "sqlite", file: "/base/rel.db" });
    expect(parseStoreUrl("sqlite::memory:")).toEqual({ kind: "sqlite", file: ":memory:" });
    expect(parseStoreUrl("memory:")).toEqual({ kind: "sqlite", file: ":memory:" });
    expect(parseStoreUrl("postgres://u@h:5432/db?schema=abc")).toEqual({
      kind: "postgres",
      connectionString: "postgres://u@h:5432/db",
      schema: "abc",
    });
  });

  it("rejects unknown schemes and bad schema names with a coded error", () => {
    for (const bad of ["mysql://x", "sqlite:", "postgres://h/db?schema=a;drop"]) {
      expect(() => parseStoreUrl(bad)).toThrow(DecisioningError);
    }
  });

  it("reports an unreachable PostgreSQL as ODE_ERR_STORE_UNAVAILABLE", async () => {
    await expect(openDatabase("postgres://nobody@127.0.0.1:1/none")).rejects.toMatchObject({
      code: "ODE_ERR_STORE_UNAVAILABLE",
    });
  });
});

for (const store of stores) {
  describe(`database on ${store.name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await openDatabase(store.url);
    });
    afterAll(() => database.close());

    it("applies a migration set once, even when asked twice concurrently", async () => {
      await Promise.all([database.migrate(notes), database.migrate(notes)]);
      await database.migrate(notes);
      const rows = await database.db
        .selectFrom("odd_migrations")
        .selectAll()
        .where("namespace", "=", "storage-test")
        .execute();
      expect(rows.map((r) => r.id)).toEqual(["001-notes"]);
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      await database.transaction((trx) => trx.insertInto("notes").values({ id: 1, text: "kept" }).execute());
      await expect(
        database.transaction(async (trx) => {
          await trx.insertInto("notes").values({ id: 2, text: "lost" }).execute();
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      const rows = await database.db.selectFrom("notes").select(["id", "text"]).orderBy("id").execute();
      expect(rows).toEqual([{ id: 1, text: "kept" }]);
    });

    it("runs SQLite in WAL mode / PostgreSQL in the isolated schema", async () => {
      if (database.dialect === "sqlite") {
        const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
        expect(rows[0]!.journal_mode).toBe("wal");
      } else {
        const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(database.db);
        expect(rows[0]!.s).toBe(database.schema);
        expect(database.schema).toMatch(/^odd_t_/);
      }
    });
  });
}
