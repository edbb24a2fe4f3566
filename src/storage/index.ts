/**
 * The SQL layer shared by every store of the project (see docs/storage.md).
 *
 * ```ts
 * const database = await openDatabase(storeUrl);          // "sqlite:./.odd/odd.db" or "postgres://..."
 * await database.migrate({ namespace: "admin", steps });  // once at start
 * await database.transaction(async (trx) => trx.insertInto("t").values(row).execute());
 * ```
 */
export { openDatabase, type Database, type DatabaseOptions, type SqlDb, type SqlDialect, type SqlTransaction } from "./database";
export { runMigrations, type MigrationSet, type MigrationStep } from "./migrations";
export { DEFAULT_DATA_DIR, defaultStoreUrl, describeStore, parseStoreUrl, type StoreLocation } from "./url";
