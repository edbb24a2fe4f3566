/**
 * The repository's tables (namespace "repository"). Instances keep their full representation as
 * JSON text next to the columns lists and deletes query through indexes: container, `@id` key,
 * created/modified times; schema memberships, outgoing references and full-text tokens live in
 * side tables (SQLite: an FTS5 table; PostgreSQL: a generated tsvector column with a GIN index).
 */
import { sql } from "kysely";
import type { MigrationSet } from "../../storage";

const COMMON = {
  containers: (int: string) => `create table xcore_containers (
    id text primary key, etag integer not null, created_ms ${int} not null, modified_ms ${int} not null, body text not null)`,
  memberships: (int: string) => `create table xcore_memberships (
    container_id text not null, schema_id text not null, instance_id text not null,
    created_ms ${int} not null, modified_ms ${int} not null,
    primary key (container_id, schema_id, instance_id))`,
  references: `create table xcore_references (
    container_id text not null, target_key text not null, instance_id text not null,
    primary key (container_id, target_key, instance_id))`,
  operations: (int: string) => `create table xcore_operations (
    id text primary key, container_id text not null, instance_id text not null, status text not null,
    pending_polls integer not null, result text, created_ms ${int} not null)`,
  indexes: [
    "create index xcore_instances_at on xcore_instances (container_id, at_key)",
    "create index xcore_instances_created on xcore_instances (container_id, created_ms, instance_id)",
    "create index xcore_instances_modified on xcore_instances (container_id, modified_ms, instance_id)",
    "create index xcore_memberships_created on xcore_memberships (container_id, schema_id, created_ms, instance_id)",
    "create index xcore_memberships_modified on xcore_memberships (container_id, schema_id, modified_ms, instance_id)",
    "create index xcore_references_source on xcore_references (container_id, instance_id)",
  ],
};

/** Per-schema instance counts (first-page totals without counting) and the membership lookup by instance. */
const COUNTS = [
  "create index xcore_memberships_instance on xcore_memberships (container_id, instance_id)",
  `create table xcore_counts (container_id text not null, schema_id text not null, n integer not null,
    primary key (container_id, schema_id))`,
  `insert into xcore_counts (container_id, schema_id, n)
    select container_id, schema_id, count(*) from xcore_memberships group by container_id, schema_id`,
  `insert into xcore_counts (container_id, schema_id, n)
    select container_id, '', count(*) from xcore_instances group by container_id`,
];

const SQLITE = [
  COMMON.containers("integer"),
  `create table xcore_instances (
    row_id integer primary key, container_id text not null, instance_id text not null,
    at_id text, at_key text, schema_id text not null, etag integer not null,
    created_ms integer not null, modified_ms integer not null, body text not null,
    unique (container_id, instance_id))`,
  COMMON.memberships("integer"),
  COMMON.references,
  COMMON.operations("integer"),
  `create table xcore_changes (
    seq integer primary key autoincrement, container_id text not null, instance_id text not null,
    at_id text, schema_id text not null, kind text not null, etag integer not null, at_ms integer not null)`,
  // rowid = xcore_instances.row_id; tokens are already analyzed (lowercase letters/digits).
  `create virtual table xcore_search using fts5(tokens, tokenize = 'unicode61 remove_diacritics 0')`,
  ...COMMON.indexes,
];

const POSTGRES = [
  COMMON.containers("bigint"),
  `create table xcore_instances (
    container_id text not null, instance_id text not null,
    at_id text, at_key text, schema_id text not null, etag integer not null,
    created_ms bigint not null, modified_ms bigint not null, body text not null,
    search_text text not null default '',
    search_vector tsvector generated always as (to_tsvector('simple', search_text)) stored,
    primary key (container_id, instance_id))`,
  COMMON.memberships("bigint"),
  COMMON.references,
  COMMON.operations("bigint"),
  `create table xcore_changes (
    seq bigserial primary key, container_id text not null, instance_id text not null,
    at_id text, schema_id text not null, kind text not null, etag integer not null, at_ms bigint not null)`,
  "create index xcore_instances_search on xcore_instances using gin (search_vector)",
  ...COMMON.indexes,
];

export const REPOSITORY_MIGRATIONS: MigrationSet = {
  namespace: "repository",
  steps: [
    {
      id: "001-xcore-tables",
      up: async (trx, dialect) => {
        for (const statement of dialect === "sqlite" ? SQLITE : POSTGRES) await sql.raw(statement).execute(trx);
      },
    },
    {
      id: "002-counts",
      up: async (trx) => {
        for (const statement of COUNTS) await sql.raw(statement).execute(trx);
      },
    },
  ],
};
