/**
 * The SQL layer every store of the project shares: one connection factory from a store URL, one
 * query builder (Kysely) over SQLite and PostgreSQL, transactions and namespaced migrations.
 *
 * SQLite (better-sqlite3) runs in WAL mode with `synchronous=NORMAL`: a committed transaction
 * survives a crash of this process (kill -9); only a power loss may lose the last commits. Kysely
 * drives SQLite through one connection guarded by a mutex, so SQLite transactions never overlap.
 * PostgreSQL (pg) uses a bounded pool; `statement_timeout` bounds every statement.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { DecisioningError } from "../errors";
import { runMigrations, type MigrationSet } from "./migrations";
import { describeStore, parseStoreUrl, type SqlDialect, type StoreLocation } from "./url";

export type { SqlDialect };


/** Kysely over tables each subsystem types for itself (see e.g. src/repository/store/tables.ts). */
export type SqlDb = Kysely<any>;
export type SqlTransaction = Transaction<any>;

export interface DatabaseOptions {
  /** Base directory for relative SQLite paths (default: the working directory). */
  baseDir?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Upper bound of one PostgreSQL statement in ms (default 30000). */
  statementTimeout?: number;
}

export interface Database {
  readonly dialect: SqlDialect;
  readonly db: SqlDb;
  /** The store URL without credentials, for logs. */
  readonly description: string;
  /** PostgreSQL schema holding the tables (undefined for SQLite). */
  readonly schema: string | undefined;
  /** Applies the set's migrations that have not run yet (idempotent; safe across processes). */
  migrate(set: MigrationSet): Promise<void>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (trx: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_STATEMENT_TIMEOUT = 30_000;
const SQLITE_BUSY_TIMEOUT = 5_000;

function openSqlite(file: string): SqlDb {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(file);
  } catch (err) {
    throw new DecisioningError("ODE_ERR_STORE_UNAVAILABLE", `Cannot open the SQLite store ${file}`, {
      cause: err,
    });
  }
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT}`);
  database.pragma("foreign_keys = ON");
  return new Kysely({ dialect: new SqliteDialect({ database }) });
}

/**
 * A SQLite write transaction that takes the write lock up front (`BEGIN IMMEDIATE`). With a
 * deferred BEGIN, a transaction that read first and then writes fails at once with SQLITE_BUSY
 * when another process (a second `odd serve`, `odd repo import`) wrote in between; an immediate
 * one waits up to busy_timeout for the lock instead.
 */
async function immediateTransaction<T>(db: SqlDb, fn: (trx: SqlTransaction) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await fn(connection as unknown as SqlTransaction);
      await sql`commit`.execute(connection);
      return result;
    } catch (err) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw err;
    }
  });
}

function openPostgres(location: Extract<StoreLocation, { kind: "postgres" }>, options: DatabaseOptions): SqlDb {
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    options: `-c search_path=${location.schema}`,
    statement_timeout: options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}

/** Opens the store named by `url` (see src/storage/url.ts) and checks that it answers. */
export async function openDatabase(url: string, options: DatabaseOptions = {}): Promise<Database> {
  const location = parseStoreUrl(url, options.baseDir);
  const dialect: SqlDialect = location.kind;
  const db = location.kind === "sqlite" ? openSqlite(location.file) : openPostgres(location, options);
  const schema = location.kind === "postgres" ? location.schema : undefined;
  try {
    if (schema !== undefined) await sql.raw(`create schema if not exists ${schema}`).execute(db);
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new DecisioningError("ODE_ERR_STORE_UNAVAILABLE", `Cannot reach the store ${describeStore(location)}`, {
      cause: err,
    });
  }
  let closed: Promise<void> | undefined;
  const transaction = <T>(fn: (trx: SqlTransaction) => Promise<T>): Promise<T> =>
    dialect === "sqlite" ? immediateTransaction(db, fn) : db.transaction().execute(fn);
  return {
    dialect,
    db,
    schema,
    description: describeStore(location),
    migrate: (set) => runMigrations(transaction, dialect, set),
    transaction,
    close: () => (closed ??= db.destroy()),
  };
}
