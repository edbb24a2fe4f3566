/**
 * Backup and migration in JSON lines: one container or instance per line, containers first, each
 * group in id order, records with their ids, etags and timestamps unchanged. Importing an export
 * into an empty store and exporting again gives the same bytes, whichever store (SQLite or
 * PostgreSQL) is on either side. Imported instances get fresh index rows (schema memberships,
 * full-text tokens, references) and change-feed entries; the planner statistics are refreshed at the end.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { DecisioningError } from "../errors";
import { referenceKeysOf } from "./envelope";
import { assertSafeJson, isPlainObject } from "./json-body";
import { stringsIn } from "./paths";
import { indexText } from "./search";
import type { Repository } from "./service";
import type { ContainerRecord, InstanceIndexes, InstanceRecord, StoreWriter } from "./store/port";

export type TransferLine = { kind: "container"; record: ContainerRecord } | { kind: "instance"; record: InstanceRecord };

const IMPORT_BATCH = 500;
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** Writes every container and instance as JSON lines; resolves to the number of lines. */
export async function exportLines(repository: Repository, write: (line: string) => Promise<void> | void): Promise<number> {
  let count = 0;
  const containers = await repository.store.listContainers();
  for (const record of containers) {
    await write(`${JSON.stringify({ kind: "container", record })}\n`);
    count++;
  }
  for (const container of containers) {
    const pending: InstanceRecord[] = [];
    await repository.store.scan({ containerId: container.id }, (batch) => {
      pending.push(...batch);
    });
    for (const record of pending) {
      await write(`${JSON.stringify({ kind: "instance", record })}\n`);
      count++;
    }
  }
  return count;
}

function invalidLine(lineNumber: number, message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", `line ${lineNumber}: ${message}`);
}

function parseLine(text: string, lineNumber: number): TransferLine {
  if (text.length > MAX_LINE_CHARS) throw invalidLine(lineNumber, "line too long");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidLine(lineNumber, "not JSON");
  }
  assertSafeJson(value, `line ${lineNumber}`);
  if (!isPlainObject(value) || !isPlainObject(value.record) || !isPlainObject(value.record.body)) {
    throw invalidLine(lineNumber, "expected {kind, record: {..., body}}");
  }
  if (value.kind === "container" && typeof value.record.id === "string") return value as unknown as TransferLine;
  if (value.kind === "instance" && typeof value.record.instanceId === "string" && typeof value.record.containerId === "string") {
    return value as unknown as TransferLine;
  }
  throw invalidLine(lineNumber, 'kind must be "container" or "instance" with its ids');
}

function indexesOf(repository: Repository, record: InstanceRecord): InstanceIndexes {
  const instance = isPlainObject(record.body._instance) ? record.body._instance : {};
  const sent = Array.isArray(record.body.schemas) && typeof record.body.schemas[0] === "string" ? record.body.schemas[0] : record.schemaId;
  return {
    memberships: repository.registry.memberships(sent, instance),
    searchText: indexText(instance),
    references: referenceKeysOf(instance, stringsIn(instance)),
  };
}

const changeOf = (record: InstanceRecord, kind: "create" | "update") => ({
  containerId: record.containerId,
  instanceId: record.instanceId,
  atId: record.atId,
  schemaId: record.schemaId,
  kind,
  etag: record.etag,
  atMs: Date.now(),
});

/** Writes one batch: containers first, new instances in bulk per container, existing ones replaced. */
async function importBatch(repository: Repository, tx: StoreWriter, lines: readonly TransferLine[]): Promise<void> {
  const byContainer = new Map<string, InstanceRecord[]>();
  for (const line of lines) {
    if (line.kind === "container") {
      const existing = await tx.getContainer(line.record.id);
      await tx.putContainer(line.record, existing?.etag);
    } else {
      const list = byContainer.get(line.record.containerId) ?? [];
      list.push(line.record);
      byContainer.set(line.record.containerId, list);
    }
  }
  for (const [containerId, records] of byContainer) {
    const existing = await tx.existingInstanceIds(containerId, records.map((r) => r.instanceId));
    const fresh = records.filter((r) => !existing.has(r.instanceId));
    await tx.insertInstances(fresh.map((record) => ({ record, indexes: indexesOf(repository, record) })));
    for (const record of records.filter((r) => existing.has(r.instanceId))) {
      const current = await tx.getInstance(containerId, record.instanceId);
      if (current) await tx.updateInstance(record, current.etag, indexesOf(repository, record));
    }
    await tx.appendChanges(records.map((r) => changeOf(r, existing.has(r.instanceId) ? "update" : "create")));
  }
}

/** Imports JSON lines (upserting by id) in transactions of 500 lines; resolves to the line count. */
export async function importLines(repository: Repository, input: Readable, onProgress?: (lines: number) => void): Promise<number> {
  let batch: TransferLine[] = [];
  let count = 0;
  const flush = async () => {
    const lines = batch;
    batch = [];
    await repository.store.write(async (tx) => {
      await importBatch(repository, tx, lines);
    });
    onProgress?.(count);
  };
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    if (text.trim() === "") continue;
    batch.push(parseLine(text, ++count));
    if (batch.length >= IMPORT_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await repository.store.analyze();
  return count;
}
