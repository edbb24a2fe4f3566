/**
 * In-memory adapter of the Admin store port. Transactions of a tenant run one after another; a
 * transaction writes into a private overlay that is applied on success and dropped on failure.
 * Documents are copied on the way in and out, so no caller shares an object with the store.
 */
import { compareIds, type AdminStore, type AdminTransaction, type DocumentKind, type StoredDocument } from "./store";

type Tables = Map<DocumentKind, Map<string, StoredDocument>>;
const REMOVED = Symbol("removed");
type Overlay = Map<DocumentKind, Map<string, StoredDocument | typeof REMOVED>>;

export function createMemoryAdminStore(): AdminStore {
  const tenants = new Map<string, Tables>();
  const queues = new Map<string, Promise<unknown>>();

  const table = (tenant: string, kind: DocumentKind) => tenants.get(tenant)?.get(kind);

  async function run<T>(tenant: string, work: (tx: AdminTransaction) => Promise<T>): Promise<T> {
    const overlay: Overlay = new Map();
    const staged = (kind: DocumentKind) => overlay.get(kind) ?? overlay.set(kind, new Map()).get(kind)!;
    const tx: AdminTransaction = {
      async get(kind, id) {
        const own = overlay.get(kind)?.get(id);
        if (own === REMOVED) return undefined;
        const doc = own ?? table(tenant, kind)?.get(id);
        return doc === undefined ? undefined : structuredClone(doc);
      },
      async list(kind) {
        const merged = new Map(table(tenant, kind) ?? []);
        for (const [id, doc] of overlay.get(kind) ?? []) {
          if (doc === REMOVED) merged.delete(id);
          else merged.set(id, doc);
        }
        return [...merged.keys()].sort(compareIds).map((id) => structuredClone(merged.get(id)!));
      },
      async put(kind, id, document) {
        staged(kind).set(id, structuredClone(document));
      },
      async remove(kind, id) {
        const existed = (await tx.get(kind, id)) !== undefined;
        staged(kind).set(id, REMOVED);
        return existed;
      },
    };
    const result = await work(tx);
    commit(tenant, overlay);
    return result;
  }

  function commit(tenant: string, overlay: Overlay): void {
    if (overlay.size === 0) return;
    const tables = tenants.get(tenant) ?? tenants.set(tenant, new Map()).get(tenant)!;
    for (const [kind, changes] of overlay) {
      const rows = tables.get(kind) ?? tables.set(kind, new Map()).get(kind)!;
      for (const [id, doc] of changes) {
        if (doc === REMOVED) rows.delete(id);
        else rows.set(id, doc);
      }
    }
  }

  return {
    transaction(tenant, work) {
      const previous = queues.get(tenant) ?? Promise.resolve();
      const next = previous.then(
        () => run(tenant, work),
        () => run(tenant, work),
      );
      const settled = next.catch(() => undefined);
      queues.set(tenant, settled);
      void settled.then(() => {
        if (queues.get(tenant) === settled) queues.delete(tenant);
      });
      return next;
    },
    async tenants() {
      return [...tenants.keys()].sort();
    },
    async close() {},
  };
}
