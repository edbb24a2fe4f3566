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
import { openDatabase } from "../storage";
import { SchemaRegistry } from "./registry";
import { Repository, type DeleteMode } from "./service";
import { createSqlStore } from "./store/sql-store";

export { Repository, type DeleteMode, type DeleteOutcome, type WriteResult } from "./service";
export { SchemaRegistry, schemaKey } from "./registry";
export { xcorePlugin, DEFAULT_XCORE_PREFIX, type XcorePluginOptions } from "./http/plugin";
export { REPOSITORY_SETTINGS, resolveRepositoryConfig, type RepositoryConfig } from "./config";
export * from "./schemas/offer-management";
export type { Change, InstanceRecord, Representation, RepositoryStore } from "./store/port";

export interface OpenRepositoryOptions {
  store: string;
  schemas?: readonly Record<string, unknown>[];
  deleteMode?: DeleteMode;
  deletePendingPolls?: number;
  onBackgroundError?: (err: unknown) => void;
}

/** Opens the store (migrating it) and the schema registry; `repository.store.close()` releases it. */
export async function openRepository(options: OpenRepositoryOptions): Promise<Repository> {
  const registry = new SchemaRegistry({ custom: options.schemas ?? [] });
  const database = await openDatabase(options.store);
  try {
    const store = await createSqlStore(database);
    return new Repository({
      store,
      registry,
      ...(options.deleteMode ? { deleteMode: options.deleteMode } : {}),
      ...(options.deletePendingPolls !== undefined ? { deletePendingPolls: options.deletePendingPolls } : {}),
      ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
    });
  } catch (err) {
    await database.close();
    throw err;
  }
}
