/**
 * SQL adapter of the Admin store port over src/storage (SQLite or PostgreSQL through Kysely). One
 * table of JSON documents keyed by (tenant, kind, id). A transaction is a database transaction;
 * on PostgreSQL an advisory lock per (schema, tenant) makes the writers of a tenant take turns, so
 * read-modify-write sequences (id counters, uniqueness checks) stay correct across processes.
 */
import { createHash } from "node:crypto";
import { sql } from "kysely";
import { openDatabase, type Database, type SqlTransaction } from "../storage";
import {
  compareIds,
  type AdminStore,
  type AdminTransaction,
  type DocumentKind,
  type StoredDocument,
} from "./store";

const TABLE = "admin_documents";

export const ADMIN_MIGRATIONS = {
  namespace: "admin",
  steps: [
    {
      id: "001-documents",
      async up(trx: SqlTransaction) {
        await trx.schema
          .createTable(TABLE)
          .ifNotExists()
          .addColumn("tenant", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull())
          .addColumn("doc", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("admin_documents_pk", ["tenant", "kind", "id"])
          .execute();
      },
    },
  ],
};

function lockKey(schema: string | undefined, tenant: string): string {
  return createHash("sha256")
    .update(`admin:${schema ?? ""}:${tenant}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

function transactionOn(trx: SqlTransaction, tenant: string): AdminTransaction {
  const rows = () => trx.selectFrom(TABLE).where("tenant", "=", tenant);
  return {
    async get(kind, id) {
      const row = await rows().select("doc").where("kind", "=", kind).where("id", "=", id).executeTakeFirst();
      return row ? (JSON.parse(String(row.doc)) as StoredDocument) : undefined;
    },
    async list(kind: DocumentKind) {
      const found = await rows().select(["id", "doc"]).where("kind", "=", kind).execute();
      return found
        .sort((a, b) => compareIds(String(a.id), String(b.id)))
        .map((r) => JSON.parse(String(r.doc)) as StoredDocument);
    },
    async put(kind, id, document) {
      const doc = JSON.stringify(document);
      await trx
        .insertInto(TABLE)
        .values({ tenant, kind, id, doc })
        .onConflict((oc) => oc.columns(["tenant", "kind", "id"]).doUpdateSet({ doc }))
        .execute();
    },
    async remove(kind, id) {
      const result = await trx
        .deleteFrom(TABLE)
        .where("tenant", "=", tenant)
        .where("kind", "=", kind)
        .where("id", "=", id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

/**
 * An Admin store on an open database (migrated here). Closing the store closes the database unless
 * `ownsDatabase` is false (the database is shared, e.g. with the repository, and closed by its owner).
 */
export async function createSqlAdminStore(
  database: Database,
  { ownsDatabase = true } = {},
): Promise<AdminStore> {
  await database.migrate(ADMIN_MIGRATIONS);
  return {
    transaction(tenant, work) {
      return database.transaction(async (trx) => {
        if (database.dialect === "postgres")
          await sql`select pg_advisory_xact_lock(${lockKey(database.schema, tenant)}::bigint)`.execute(trx);
        return work(transactionOn(trx, tenant));
      });
    },
    async tenants() {
      const rows = await database.db
        .selectFrom(TABLE)
        .select("tenant")
        .distinct()
        .orderBy("tenant")
        .execute();
      return rows.map((r) => String(r.tenant));
    },
    close: async () => {
      if (ownsDatabase) await database.close();
    },
  };
}

/** Opens the store URL (`sqlite:…` or `postgres://…`) as an Admin store. */
export async function openSqlAdminStore(url: string): Promise<AdminStore> {
  const database = await openDatabase(url);
  try {
    return await createSqlAdminStore(database);
  } catch (err) {
    await database.close();
    throw err;
  }
}
