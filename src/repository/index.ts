/**
 * The XCore repository (docs/repository.md): open it on a store, mount its HTTP API.
 *
 * ```ts
 * const repository = await openRepository({ store: "sqlite:./.odd/odd.db" });
 * await app.register(xcorePlugin, { prefix: "/data/core/xcore", repository, apiToken });
 * const offers = await repository.instancesOf(containerId, PERSONALIZED_OFFER);
 * const { changes } = { changes: await repository.store.changesSince(lastSeq, 1000) };
 * ```
 */
import { openDatabase, type Database } from "../storage";
import { SchemaRegistry } from "./registry";
import { Repository, type DeleteMode } from "./service";
import { createSqlStore } from "./store/sql-store";

export { Repository, type DeleteMode, type DeleteOutcome, type WriteResult } from "./service";
export { SchemaRegistry, schemaKey } from "./registry";
export { xcorePlugin, type XcorePluginOptions } from "./http/plugin";
export { DEFAULT_XCORE_PREFIX, REPOSITORY_SETTINGS, resolveRepositoryConfig, type RepositoryConfig } from "./config";
export * from "./schemas/offer-management";
export type { Change, InstanceRecord, Representation, RepositoryStore } from "./store/port";

export interface OpenRepositoryOptions {
  /** A store URL (the repository opens and closes its own connection)… */
  store?: string;
  /** …or a database the process already opened (shared with other subsystems; not closed by the repository). */
  database?: Database;
  schemas?: readonly Record<string, unknown>[];
  deleteMode?: DeleteMode;
  deletePendingPolls?: number;
  onBackgroundError?: (err: unknown) => void;
}

/**
 * Opens the store (migrating it) and the schema registry; `repository.store.close()` releases it.
 * Subsystems of one process that use the same SQLite file should share one `database`: two
 * connections of one process writing to one file can wait on each other's lock.
 */
export async function openRepository(options: OpenRepositoryOptions): Promise<Repository> {
  const registry = new SchemaRegistry({ custom: options.schemas ?? [] });
  if (!options.database && !options.store) throw new Error("openRepository needs a store URL or a database");
  const database = options.database ?? (await openDatabase(options.store!));
  try {
    const store = await createSqlStore(database, { ownsDatabase: !options.database });
    return new Repository({
      store,
      registry,
      ...(options.deleteMode ? { deleteMode: options.deleteMode } : {}),
      ...(options.deletePendingPolls !== undefined ? { deletePendingPolls: options.deletePendingPolls } : {}),
      ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
    });
  } catch (err) {
    if (!options.database) await database.close();
    throw err;
  }
}
