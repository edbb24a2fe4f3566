/**
 * The Admin API's storage port: a tenant-scoped document store with atomic transactions. The
 * domain (./service) keeps every rule; an adapter only stores JSON documents by (tenant, kind, id)
 * and runs a transaction all-or-nothing. Adapters: ./memory-store (default, tests) and the SQL
 * adapter over src/storage. One contract suite (test/admin/store-contract.ts) runs against each.
 */

/** What the domain stores. `sequence` holds the id counters, `tenant` the marker of a created tenant. */
export type DocumentKind =
  | "tenant"
  | "sequence"
  | "activity"
  | "audience"
  | "offer"
  | "environment"
  | "property"
  | "responseToken"
  | "changelog"
  | "artifact";

export type StoredDocument = Record<string, unknown>;

/** Reads and writes of one transaction; reads see the transaction's own earlier writes. */
export interface AdminTransaction {
  get(kind: DocumentKind, id: string): Promise<StoredDocument | undefined>;
  /** All documents of a kind, ordered by id as stored (numeric ids compare numerically). */
  list(kind: DocumentKind): Promise<StoredDocument[]>;
  put(kind: DocumentKind, id: string, document: StoredDocument): Promise<void>;
  /** true when a document was removed. */
  remove(kind: DocumentKind, id: string): Promise<boolean>;
}

export interface AdminStore {
  /**
   * Runs `work` for one tenant atomically: its writes become visible together when it resolves,
   * and none of them when it throws (the error is rethrown). Transactions of one tenant do not
   * interleave their writes.
   */
  transaction<T>(tenant: string, work: (tx: AdminTransaction) => Promise<T>): Promise<T>;
  /** Tenants that have at least one document. */
  tenants(): Promise<string[]>;
  close(): Promise<void>;
}

/** Orders ids numerically when both are integers, else as strings. */
export function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isSafeInteger(na) && Number.isSafeInteger(nb) && /^\d+$/.test(a) && /^\d+$/.test(b)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
