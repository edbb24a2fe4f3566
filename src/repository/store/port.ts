/**
 * The storage port of the repository: what the domain needs from a database, nothing more. One
 * SQL implementation (store/sql-store.ts) serves SQLite and PostgreSQL; the contract suite
 * (test/repository) runs against both.
 */
export type Representation = Record<string, unknown>;

export interface InstanceRecord {
  containerId: string;
  instanceId: string;
  /** `_instance["@id"]`, when the schema has one. */
  atId: string | null;
  /** The canonical id of the schema the instance was written with. */
  schemaId: string;
  etag: number;
  createdMs: number;
  modifiedMs: number;
  /** The full representation as served (envelope + `_instance` + `_links`). */
  body: Representation;
}

export interface ContainerRecord {
  id: string;
  etag: number;
  createdMs: number;
  modifiedMs: number;
  body: Representation;
}

/** What a write stores next to an instance so that lists, searches and deletes use indexes. */
export interface InstanceIndexes {
  /** Canonical ids of every schema whose list shows the instance. */
  memberships: readonly string[];
  /** Analyzed tokens for the full-text index. */
  searchText: string;
  /** Reference keys (`@id` without its xcore:/dps: prefix) the instance points to. */
  references: readonly string[];
}

export interface TextFilter {
  /** Each term as a token sequence; `and`: every term, `or`: any term. */
  terms: readonly (readonly string[])[];
  mode: "and" | "or";
}

/** The part of a list query the database answers with indexes. */
export interface CandidateQuery {
  containerId: string;
  schemaId?: string;
  /** Reference keys (`id=` values without prefix): keep instances whose `@id` has one of them. */
  atKeys?: readonly string[];
  text?: TextFilter;
  /** Token sequences every candidate's full-text tokens must contain (derived from `==` filters). */
  phrases?: readonly (readonly string[])[];
}

/** An ordering the database can page by itself: one indexed column, then instanceId ascending. */
export interface IndexedOrder {
  column: "instance" | "created" | "modified";
  descending: boolean;
  /** Keyset position: the previous page's last (column value, instanceId). */
  after?: { value: string | number; instanceId: string };
}

export type ChangeKind = "create" | "update" | "delete";

export interface Change {
  seq: number;
  containerId: string;
  instanceId: string;
  atId: string | null;
  schemaId: string;
  kind: ChangeKind;
  etag: number;
  atMs: number;
}

export interface OperationRecord {
  id: string;
  containerId: string;
  instanceId: string;
  status: "pending" | "deleted" | "rejected";
  pendingPolls: number;
  result: Record<string, unknown> | null;
  createdMs: number;
}

export interface StoreReader {
  listContainers(): Promise<ContainerRecord[]>;
  getContainer(id: string): Promise<ContainerRecord | undefined>;
  getInstance(containerId: string, instanceId: string): Promise<InstanceRecord | undefined>;
  /** Instances whose `@id` has one of these reference keys. */
  findByAtKeys(containerId: string, keys: readonly string[]): Promise<InstanceRecord[]>;
  /** Instances that reference the key (their own `@id` excluded). */
  findReferrers(containerId: string, key: string): Promise<InstanceRecord[]>;
  countInstances(containerId: string): Promise<number>;
  /** Which of these instanceIds exist in the container. */
  existingInstanceIds(containerId: string, instanceIds: readonly string[]): Promise<Set<string>>;
  /** Visits every candidate in instanceId order, in batches; stop early by returning false. */
  scan(query: CandidateQuery, visit: (batch: InstanceRecord[]) => boolean | void): Promise<void>;
  /** One page in an indexed order (no property filters), and the count from the position on. */
  page(query: CandidateQuery, order: IndexedOrder, limit: number): Promise<InstanceRecord[]>;
  count(query: CandidateQuery, order: IndexedOrder): Promise<number>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** Changes with a sequence number above `seq`, oldest first. */
  changesSince(seq: number, limit: number): Promise<Change[]>;
}

export interface StoreWriter extends StoreReader {
  putContainer(container: ContainerRecord, expectedEtag?: number): Promise<boolean>;
  deleteContainer(id: string): Promise<void>;
  insertInstance(record: InstanceRecord, indexes: InstanceIndexes): Promise<void>;
  /** Bulk insert of new instances (import): a few multi-row statements instead of several per record. */
  insertInstances(entries: ReadonlyArray<{ record: InstanceRecord; indexes: InstanceIndexes }>): Promise<void>;
  /** false when the stored etag is no longer `expectedEtag` (a concurrent write won). */
  updateInstance(record: InstanceRecord, expectedEtag: number, indexes: InstanceIndexes): Promise<boolean>;
  deleteInstance(containerId: string, instanceId: string, expectedEtag: number): Promise<boolean>;
  putOperation(operation: OperationRecord): Promise<void>;
  appendChange(change: Omit<Change, "seq">): Promise<void>;
  appendChanges(changes: ReadonlyArray<Omit<Change, "seq">>): Promise<void>;
}

export interface RepositoryStore extends StoreReader {
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `fn` in one transaction. Writes are serialized across every process sharing the
   * database (PostgreSQL: an advisory transaction lock), so referential checks, etag checks and
   * the change sequence see a consistent order.
   */
  write<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T>;
  /** Refreshes the planner's statistics (after bulk imports). */
  analyze(): Promise<void>;
  close(): Promise<void>;
}
