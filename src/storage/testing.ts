/**
 * Test support for stores: every test run gets its own store, so runs on one PostgreSQL server
 * (several helpers, CI) never see each other's tables.
 *
 * ```ts
 * const stores = await testStores();           // SQLite always, PostgreSQL when ODD_TEST_POSTGRES_URL is set
 * for (const store of stores) describe(store.name, () => { ... openDatabase(store.url) ... });
 * afterAll(() => Promise.all(stores.map((s) => s.dispose())));
 * ```
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface TestStore {
  /** "sqlite" or "postgres". */
  readonly name: "sqlite" | "postgres";
  /** A store URL for openDatabase / `odd serve --store`. */
  readonly url: string;
  /** Drops the schema or removes the directory. */
  dispose(): Promise<void>;
}

export const POSTGRES_TEST_ENV = "ODD_TEST_POSTGRES_URL";

/** A fresh SQLite file in a new temporary directory. */
export function createSqliteTestStore(): TestStore {
  const dir = mkdtempSync(path.join(tmpdir(), "odd-store-"));
  return {
    name: "sqlite",
    url: `sqlite:${path.join(dir, "odd.db")}`,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new, uniquely named schema on the server at `baseUrl`; `dispose()` drops it with its tables. */
export async function createPostgresTestStore(baseUrl: string): Promise<TestStore> {
  const schema = `odd_t_${process.pid}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set("schema", schema);
  return {
    name: "postgres",
    url: url.toString(),
    dispose: async () => {
      const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/** SQLite always; PostgreSQL too when ODD_TEST_POSTGRES_URL is set. */
export async function testStores(env: Record<string, string | undefined> = process.env): Promise<TestStore[]> {
  const stores = [createSqliteTestStore()];
  const postgres = env[POSTGRES_TEST_ENV];
  if (postgres) stores.push(await createPostgresTestStore(postgres));
  return stores;
}
