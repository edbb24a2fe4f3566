/**
 * The repository store on the shared SQL layer: one implementation for SQLite and PostgreSQL
 * through Kysely; only full-text matching and the write lock differ per dialect.
 */
import { createHash } from "node:crypto";
import { CompiledQuery, sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Database, SqlDialect } from "../../storage";
import { referenceKey } from "../envelope";
import { REPOSITORY_MIGRATIONS } from "./migrations";
import type {
  CandidateQuery,
  Change,
  ContainerRecord,
  IndexedOrder,
  InstanceIndexes,
  InstanceRecord,
  OperationRecord,
  RepositoryStore,
  StoreWriter,
  TextFilter,
} from "./port";

const SCAN_BATCH = 500;

interface InstanceRow {
  container_id: string;
  instance_id: string;
  at_id: string | null;
  schema_id: string;
  etag: number | string;
  created_ms: number | string;
  modified_ms: number | string;
  body: string;
}


function toInstance(row: InstanceRow): InstanceRecord {
  return {
    containerId: row.container_id,
    instanceId: row.instance_id,
    atId: row.at_id,
    schemaId: row.schema_id,
    etag: Number(row.etag),
    createdMs: Number(row.created_ms),
    modifiedMs: Number(row.modified_ms),
    body: JSON.parse(row.body) as Record<string, unknown>,
  };
}

const INSTANCE_COLUMNS = [
  "i.container_id",
  "i.instance_id",
  "i.at_id",
  "i.schema_id",
  "i.etag",
  "i.created_ms",
  "i.modified_ms",
  "i.body",
] as const;

/** FTS5 query: each term a quoted phrase of its (letter/digit-only) tokens. */
const ftsQuery = (text: TextFilter) =>
  text.terms.map((t) => `"${t.join(" ")}"`).join(text.mode === "and" ? " AND " : " OR ");

/** tsquery: each term a `<->` phrase of its quoted tokens. */
const tsQuery = (text: TextFilter) =>
  text.terms.map((t) => `(${t.map((tok) => `'${tok}'`).join(" <-> ")})`).join(text.mode === "and" ? " & " : " | ");

class SqlReader {
  constructor(
    protected readonly db: Kysely<any>,
    readonly dialect: SqlDialect,
  ) {}

  async listContainers(): Promise<ContainerRecord[]> {
    const rows = await this.db.selectFrom("xcore_containers").selectAll().orderBy("id").execute();
    return rows.map((r) => this.#container(r));
  }

  async getContainer(id: string): Promise<ContainerRecord | undefined> {
    const row = await this.db.selectFrom("xcore_containers").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? this.#container(row) : undefined;
  }

  #container(row: Record<string, any>): ContainerRecord {
    return {
      id: row.id,
      etag: Number(row.etag),
      createdMs: Number(row.created_ms),
      modifiedMs: Number(row.modified_ms),
      body: JSON.parse(row.body),
    };
  }

  async getInstance(containerId: string, instanceId: string): Promise<InstanceRecord | undefined> {
    const row = await this.db
      .selectFrom("xcore_instances as i")
      .select(INSTANCE_COLUMNS)
      .where("i.container_id", "=", containerId)
      .where("i.instance_id", "=", instanceId)
      .executeTakeFirst();
    return row ? toInstance(row as InstanceRow) : undefined;
  }

  async findByAtKeys(containerId: string, keys: readonly string[]): Promise<InstanceRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.db
      .selectFrom("xcore_instances as i")
      .select(INSTANCE_COLUMNS)
      .where("i.container_id", "=", containerId)
      .where("i.at_key", "in", [...new Set(keys)])
      .execute();
    return rows.map((r) => toInstance(r as InstanceRow));
  }

  async findReferrers(containerId: string, key: string): Promise<InstanceRecord[]> {
    const rows = await this.db
      .selectFrom("xcore_references as r")
      .innerJoin("xcore_instances as i", (j) =>
        j.onRef("i.container_id", "=", "r.container_id").onRef("i.instance_id", "=", "r.instance_id"),
      )
      .select(INSTANCE_COLUMNS)
      .where("r.container_id", "=", containerId)
      .where("r.target_key", "=", key)
      .orderBy("i.instance_id")
      .execute();
    return rows.map((r) => toInstance(r as InstanceRow));
  }

  async countInstances(containerId: string): Promise<number> {
    const row = await this.db
      .selectFrom("xcore_instances")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("container_id", "=", containerId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The instanceIds whose full-text tokens satisfy the query's text and phrases, straight from the
   * full-text index (FTS5 / GIN) without an ordering, so no planner can turn it into a table scan.
   */
  async #textMatches(query: CandidateQuery): Promise<string[] | undefined> {
    const statement = this.#textMatchSql(query, "");
    if (!statement) return undefined;
    const rows = await statement.execute(this.db);
    return rows.rows.map((r) => r.instance_id).sort();
  }

  #textMatchSql(query: CandidateQuery, prefix: string) {
    const parts = [
      ...(query.text ? [query.text] : []),
      ...(query.phrases ?? []).map((phrase): TextFilter => ({ terms: [phrase], mode: "and" })),
    ];
    if (parts.length === 0) return undefined;
    return this.dialect === "sqlite"
      ? sql<{ instance_id: string }>`${sql.raw(prefix)}select i.instance_id from xcore_search join xcore_instances i on i.row_id = xcore_search.rowid
            where xcore_search match ${parts.map((p) => `(${ftsQuery(p)})`).join(" AND ")} and i.container_id = ${query.containerId}`
      : sql<{ instance_id: string }>`${sql.raw(prefix)}select instance_id from xcore_instances where container_id = ${query.containerId}
            and search_vector @@ to_tsquery('simple', ${parts.map((p) => `(${tsQuery(p)})`).join(" & ")})`;
  }

  async existingInstanceIds(containerId: string, instanceIds: readonly string[]): Promise<Set<string>> {
    if (instanceIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("xcore_instances")
      .select("instance_id")
      .where("container_id", "=", containerId)
      .where("instance_id", "in", [...instanceIds])
      .execute();
    return new Set(rows.map((r) => String(r.instance_id)));
  }

  /** Instances of the query, from the membership table when a schema is named (its indexes carry the order). */
  #candidates(query: CandidateQuery, withInstances = true): SelectQueryBuilder<any, any, any> {
    let q: SelectQueryBuilder<any, any, any> = query.schemaId
      ? this.db
          .selectFrom("xcore_memberships as m")
          .where("m.container_id", "=", query.containerId)
          .where("m.schema_id", "=", query.schemaId)
          .$if(withInstances || query.atKeys !== undefined, (b) =>
            b.innerJoin("xcore_instances as i", (j) =>
              j.onRef("i.container_id", "=", "m.container_id").onRef("i.instance_id", "=", "m.instance_id"),
            ),
          )
      : this.db.selectFrom("xcore_instances as i").where("i.container_id", "=", query.containerId);
    if (query.atKeys) q = q.where("i.at_key", "in", query.atKeys.length > 0 ? [...query.atKeys] : [""]);
    return q;
  }

  async scan(query: CandidateQuery, visit: (batch: InstanceRecord[]) => boolean | void): Promise<void> {
    const idColumn = query.schemaId ? "m.instance_id" : "i.instance_id";
    const matches = await this.#textMatches(query);
    if (matches) {
      for (let i = 0; i < matches.length; i += SCAN_BATCH) {
        const ids = matches.slice(i, i + SCAN_BATCH);
        const rows = (await this.#candidates(query).select(INSTANCE_COLUMNS).where(idColumn, "in", ids).orderBy(idColumn).execute()) as InstanceRow[];
        if (visit(rows.map(toInstance)) === false) return;
      }
      return;
    }
    let after: string | undefined;
    for (;;) {
      let q = this.#candidates(query).select(INSTANCE_COLUMNS);
      if (after !== undefined) q = q.where(idColumn, ">", after);
      const rows = (await q.orderBy(idColumn).limit(SCAN_BATCH).execute()) as InstanceRow[];
      if (rows.length === 0) return;
      if (visit(rows.map(toInstance)) === false || rows.length < SCAN_BATCH) return;
      after = rows[rows.length - 1]!.instance_id;
    }
  }

  #ordered(query: CandidateQuery, order: IndexedOrder, withInstances = true): SelectQueryBuilder<any, any, any> {
    const table = query.schemaId ? "m" : "i";
    const id = `${table}.instance_id`;
    const column = order.column === "instance" ? id : `${table}.${order.column === "created" ? "created_ms" : "modified_ms"}`;
    let q = this.#candidates(query, withInstances);
    const after = order.after;
    if (after) {
      q =
        order.column === "instance"
          ? q.where(id, order.descending ? "<" : ">", after.instanceId)
          : q.where((eb: ExpressionBuilder<any, any>) =>
              eb.or([
                eb(column, order.descending ? "<" : ">", after.value),
                eb.and([eb(column, "=", after.value), eb(id, ">", after.instanceId)]),
              ]),
            );
    }
    return q.orderBy(column, order.descending ? "desc" : "asc").$if(order.column !== "instance", (b) => b.orderBy(id, "asc"));
  }

  async page(query: CandidateQuery, order: IndexedOrder, limit: number): Promise<InstanceRecord[]> {
    const rows = await this.#ordered(query, order).select(INSTANCE_COLUMNS).limit(limit).execute();
    return rows.map((r) => toInstance(r as InstanceRow));
  }

  /** The database's plan for a page query (EXPLAIN QUERY PLAN / EXPLAIN), one line per step. */
  async explainPage(query: CandidateQuery, order: IndexedOrder | undefined, limit = 20): Promise<string[]> {
    const prefix = this.dialect === "sqlite" ? "explain query plan " : "explain ";
    const text = this.#textMatchSql(query, prefix);
    const built = order ? this.#ordered(query, order) : this.#candidates(query).orderBy(query.schemaId ? "m.instance_id" : "i.instance_id");
    const compiled = built.select(INSTANCE_COLUMNS).limit(limit).compile();
    const result = text
      ? ((await text.execute(this.db)) as unknown as { rows: Record<string, unknown>[] })
      : await this.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]));
    return result.rows.map((r) => String(r.detail ?? r["QUERY PLAN"] ?? JSON.stringify(r)));
  }

  async count(query: CandidateQuery, order: IndexedOrder): Promise<number> {
    if (!order.after && !query.atKeys && !query.text && !query.phrases) {
      const counted = await this.db
        .selectFrom("xcore_counts")
        .select("n")
        .where("container_id", "=", query.containerId)
        .where("schema_id", "=", query.schemaId ?? "")
        .executeTakeFirst();
      return counted ? Number(counted.n) : 0;
    }
    const row = await this.#ordered(query, order, false)
      .clearOrderBy()
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = await this.db.selectFrom("xcore_operations").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      containerId: row.container_id,
      instanceId: row.instance_id,
      status: row.status,
      pendingPolls: Number(row.pending_polls),
      result: row.result === null ? null : JSON.parse(row.result),
      createdMs: Number(row.created_ms),
    };
  }

  async changesSince(seq: number, limit: number): Promise<Change[]> {
    const rows = await this.db
      .selectFrom("xcore_changes")
      .selectAll()
      .where("seq", ">", seq)
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      containerId: r.container_id,
      instanceId: r.instance_id,
      atId: r.at_id,
      schemaId: r.schema_id,
      kind: r.kind,
      etag: Number(r.etag),
      atMs: Number(r.at_ms),
    }));
  }
}

class SqlWriter extends SqlReader implements StoreWriter {
  async putContainer(c: ContainerRecord, expectedEtag?: number): Promise<boolean> {
    const values = { id: c.id, etag: c.etag, created_ms: c.createdMs, modified_ms: c.modifiedMs, body: JSON.stringify(c.body) };
    if (expectedEtag === undefined) {
      await this.db.insertInto("xcore_containers").values(values).execute();
      return true;
    }
    const result = await this.db
      .updateTable("xcore_containers")
      .set(values)
      .where("id", "=", c.id)
      .where("etag", "=", expectedEtag)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteContainer(id: string): Promise<void> {
    await this.db.deleteFrom("xcore_containers").where("id", "=", id).execute();
  }

  /** Adds `delta` to the counts of these schemas ("" counts every instance of the container). */
  async #count(containerId: string, schemaIds: readonly string[], delta: number): Promise<void> {
    for (const schemaId of schemaIds) {
      const updated = await this.db
        .updateTable("xcore_counts")
        .set((eb) => ({ n: eb("n", "+", delta) }))
        .where("container_id", "=", containerId)
        .where("schema_id", "=", schemaId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        await this.db.insertInto("xcore_counts").values({ container_id: containerId, schema_id: schemaId, n: delta }).execute();
      }
    }
  }

  async #writeIndexes(record: InstanceRecord, indexes: InstanceIndexes, fresh: boolean): Promise<void> {
    const key = { container_id: record.containerId, instance_id: record.instanceId };
    if (!fresh) await this.#dropIndexes(record.containerId, record.instanceId);
    await this.#count(record.containerId, [...indexes.memberships, ...(fresh ? [""] : [])], 1);
    if (indexes.memberships.length > 0) {
      await this.db
        .insertInto("xcore_memberships")
        .values(indexes.memberships.map((schema_id) => ({ ...key, schema_id, created_ms: record.createdMs, modified_ms: record.modifiedMs })))
        .execute();
    }
    const refs = [...new Set(indexes.references)];
    if (refs.length > 0) {
      await this.db.insertInto("xcore_references").values(refs.map((target_key) => ({ ...key, target_key }))).execute();
    }
    if (this.dialect === "sqlite") {
      await sql`insert into xcore_search (rowid, tokens) select row_id, ${indexes.searchText} from xcore_instances
        where container_id = ${record.containerId} and instance_id = ${record.instanceId}`.execute(this.db);
    }
  }

  async #dropIndexes(containerId: string, instanceId: string): Promise<void> {
    const old = await this.db
      .selectFrom("xcore_memberships")
      .select("schema_id")
      .where("container_id", "=", containerId)
      .where("instance_id", "=", instanceId)
      .execute();
    await this.#count(containerId, old.map((r) => String(r.schema_id)), -1);
    for (const table of ["xcore_memberships", "xcore_references"]) {
      await this.db.deleteFrom(table).where("container_id", "=", containerId).where("instance_id", "=", instanceId).execute();
    }
    if (this.dialect === "sqlite") {
      await sql`delete from xcore_search where rowid in (select row_id from xcore_instances
        where container_id = ${containerId} and instance_id = ${instanceId})`.execute(this.db);
    }
  }

  #row(record: InstanceRecord, indexes: InstanceIndexes): Record<string, unknown> {
    return {
      container_id: record.containerId,
      instance_id: record.instanceId,
      at_id: record.atId,
      at_key: record.atId === null ? null : referenceKey(record.atId),
      schema_id: record.schemaId,
      etag: record.etag,
      created_ms: record.createdMs,
      modified_ms: record.modifiedMs,
      body: JSON.stringify(record.body),
      ...(this.dialect === "postgres" ? { search_text: indexes.searchText } : {}),
    };
  }

  async insertInstance(record: InstanceRecord, indexes: InstanceIndexes): Promise<void> {
    await this.db.insertInto("xcore_instances").values(this.#row(record, indexes)).execute();
    await this.#writeIndexes(record, indexes, true);
  }

  async insertInstances(entries: ReadonlyArray<{ record: InstanceRecord; indexes: InstanceIndexes }>): Promise<void> {
    if (entries.length === 0) return;
    await this.db.insertInto("xcore_instances").values(entries.map((e) => this.#row(e.record, e.indexes))).execute();
    const key = (r: InstanceRecord) => ({ container_id: r.containerId, instance_id: r.instanceId });
    const memberships = entries.flatMap(({ record, indexes }) =>
      indexes.memberships.map((schema_id) => ({ ...key(record), schema_id, created_ms: record.createdMs, modified_ms: record.modifiedMs })),
    );
    if (memberships.length > 0) await this.db.insertInto("xcore_memberships").values(memberships).execute();
    const perSchema = new Map<string, Map<string, number>>();
    for (const { record, indexes } of entries) {
      const counts = perSchema.get(record.containerId) ?? new Map<string, number>();
      for (const schema of ["", ...indexes.memberships]) counts.set(schema, (counts.get(schema) ?? 0) + 1);
      perSchema.set(record.containerId, counts);
    }
    for (const [containerId, counts] of perSchema) {
      for (const [schema, n] of counts) await this.#count(containerId, [schema], n);
    }
    const refs = entries.flatMap(({ record, indexes }) => [...new Set(indexes.references)].map((target_key) => ({ ...key(record), target_key })));
    if (refs.length > 0) await this.db.insertInto("xcore_references").values(refs).execute();
    if (this.dialect === "sqlite") {
      const byId = new Map(entries.map((e) => [e.record.instanceId, e.indexes.searchText]));
      const containerId = entries[0]!.record.containerId;
      const rows = await this.db
        .selectFrom("xcore_instances")
        .select(["row_id", "instance_id", "container_id"])
        .where("container_id", "=", containerId)
        .where("instance_id", "in", [...byId.keys()])
        .execute();
      const values = rows.map((r) => ({ rowid: r.row_id, tokens: byId.get(String(r.instance_id)) ?? "" }));
      if (values.length > 0) await this.db.insertInto("xcore_search").values(values).execute();
    }
  }

  async updateInstance(record: InstanceRecord, expectedEtag: number, indexes: InstanceIndexes): Promise<boolean> {
    const result = await this.db
      .updateTable("xcore_instances")
      .set(this.#row(record, indexes))
      .where("container_id", "=", record.containerId)
      .where("instance_id", "=", record.instanceId)
      .where("etag", "=", expectedEtag)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await this.#writeIndexes(record, indexes, false);
    return true;
  }

  async deleteInstance(containerId: string, instanceId: string, expectedEtag: number): Promise<boolean> {
    const current = await this.db
      .selectFrom("xcore_instances")
      .select("etag")
      .where("container_id", "=", containerId)
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
    if (!current || Number(current.etag) !== expectedEtag) return false;
    await this.#dropIndexes(containerId, instanceId);
    await this.#count(containerId, [""], -1);
    await this.db.deleteFrom("xcore_instances").where("container_id", "=", containerId).where("instance_id", "=", instanceId).execute();
    return true;
  }

  async putOperation(op: OperationRecord): Promise<void> {
    const values = {
      id: op.id,
      container_id: op.containerId,
      instance_id: op.instanceId,
      status: op.status,
      pending_polls: op.pendingPolls,
      result: op.result === null ? null : JSON.stringify(op.result),
      created_ms: op.createdMs,
    };
    const updated = await this.db.updateTable("xcore_operations").set(values).where("id", "=", op.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) await this.db.insertInto("xcore_operations").values(values).execute();
  }

  async appendChange(change: Omit<Change, "seq">): Promise<void> {
    await this.appendChanges([change]);
  }

  async appendChanges(changes: ReadonlyArray<Omit<Change, "seq">>): Promise<void> {
    if (changes.length === 0) return;
    await this.db
      .insertInto("xcore_changes")
      .values(
        changes.map((change) => ({
          container_id: change.containerId,
          instance_id: change.instanceId,
          at_id: change.atId,
          schema_id: change.schemaId,
          kind: change.kind,
          etag: change.etag,
          at_ms: change.atMs,
        })),
      )
      .execute();
  }
}

class SqlStore extends SqlReader implements RepositoryStore {
  readonly #database: Database;
  readonly #lockKey: string;

  constructor(database: Database) {
    super(database.db, database.dialect);
    this.#database = database;
    // One advisory-lock key per schema: writers of one repository take turns, other schemas don't wait.
    this.#lockKey = createHash("sha256")
      .update(`odd-repository-writes:${database.schema ?? ""}`)
      .digest()
      .readBigInt64BE(0)
      .toString();
  }

  write<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.#database.transaction(async (trx) => {
      if (this.dialect === "postgres") await sql`select pg_advisory_xact_lock(${this.#lockKey}::bigint)`.execute(trx);
      return fn(new SqlWriter(trx, this.dialect));
    });
  }

  async analyze(): Promise<void> {
    await sql.raw(this.dialect === "sqlite" ? "analyze" : "analyze xcore_instances, xcore_memberships, xcore_references, xcore_counts").execute(this.db);
  }

  close(): Promise<void> {
    return this.#database.close();
  }
}

/** Opens the repository store on a database (applies the repository migrations). */
export async function createSqlStore(database: Database): Promise<RepositoryStore & Pick<SqlReader, "explainPage">> {
  await database.migrate(REPOSITORY_MIGRATIONS);
  return new SqlStore(database);
}
