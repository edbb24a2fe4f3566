/**
 * Namespaced schema migrations. Each subsystem owns a {@link MigrationSet} (its namespace and an
 * ordered list of steps) and applies it at start with `database.migrate(set)`. The applied steps
 * are recorded in `odd_migrations (namespace, id)`. All pending steps of a set run in one
 * transaction; on PostgreSQL an advisory transaction lock serializes processes that start at the
 * same time against one server, so each step runs exactly once.
 */
import { createHash } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { SqlDialect } from "./url";

export interface MigrationStep {
  /** Stable, sortable id, e.g. "001-instances". Never rename or reorder a shipped step. */
  id: string;
  up(trx: Transaction<any>, dialect: SqlDialect): Promise<void>;
}

export interface MigrationSet {
  /** The owning subsystem, e.g. "repository" or "admin". */
  namespace: string;
  steps: readonly MigrationStep[];
}

const TABLE = "odd_migrations";

/**
 * One advisory-lock key for every migration on a PostgreSQL server (a 63-bit value derived from a
 * fixed name): concurrent `create table if not exists odd_migrations` statements are not safe in
 * PostgreSQL, so even different namespaces take turns. Migrations are short; the wait is too.
 */
const LOCK_KEY = createHash("sha256").update("on-device-decisioning:migrations").digest().readBigInt64BE(0).toString();

export async function runMigrations(
  transaction: <T>(fn: (trx: Transaction<any>) => Promise<T>) => Promise<T>,
  dialect: SqlDialect,
  set: MigrationSet,
): Promise<void> {
  await transaction(async (trx) => {
    if (dialect === "postgres") await sql`select pg_advisory_xact_lock(${LOCK_KEY}::bigint)`.execute(trx);
    await trx.schema
      .createTable(TABLE)
      .ifNotExists()
      .addColumn("namespace", "text", (c) => c.notNull())
      .addColumn("id", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("odd_migrations_pk", ["namespace", "id"])
      .execute();
    const rows = await trx.selectFrom(TABLE).select("id").where("namespace", "=", set.namespace).execute();
    const applied = new Set(rows.map((r) => String(r.id)));
    for (const step of set.steps) {
      if (applied.has(step.id)) continue;
      await step.up(trx, dialect);
      await trx
        .insertInto(TABLE)
        .values({ namespace: set.namespace, id: step.id, applied_at: new Date().toISOString() })
        .execute();
    }
  });
}
