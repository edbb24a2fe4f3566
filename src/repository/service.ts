/**
 * The repository: type-orthogonal create/read/replace/patch/delete/list over every registered
 * schema, on a {@link RepositoryStore}. Every write runs in one store transaction: the etag check,
 * schema and rule checks, the write, its index rows and its change-feed entry commit together or
 * not at all.
 */
import { randomUUID } from "node:crypto";
import { annotationViolations } from "./annotations";
import { buildRepresentation, newAtId, newInstanceId, receiptOf, referenceKey, referenceKeysOf, type Caller } from "./envelope";
import { assertSafeJson, isPlainObject } from "./json-body";
import { listPage, parseListRequest, type ListPage, type QueryParams } from "./listing";
import { applyInstancePatch } from "./patch";
import { notFound, repoError } from "./problem";
import { schemaKey, type RegisteredSchema, type SchemaRegistry } from "./registry";
import { ruleViolations } from "./rules";
import { indexText } from "./search";
import { stringsIn } from "./paths";
import type { InstanceIndexes, InstanceRecord, OperationRecord, Representation, RepositoryStore, StoreWriter } from "./store/port";

export type DeleteMode = "sync" | "async";

export interface RepositoryOptions {
  store: RepositoryStore;
  registry: SchemaRegistry;
  deleteMode?: DeleteMode;
  /** Polls an async delete operation answers "pending" before it is decided (tests). */
  deletePendingPolls?: number;
  now?: () => number;
  /** Called with failures of background work (async delete decisions). */
  onBackgroundError?: (err: unknown) => void;
}

export interface WriteResult {
  record: InstanceRecord;
  receipt: Record<string, unknown>;
}

export type DeleteOutcome =
  | { status: "deleted"; receipt: Record<string, unknown> }
  | { status: "rejected"; referencedBy: Array<{ instanceId: string; "@id": string | null; schema: string }> };

export type DeleteResult = { mode: "sync"; receipt: Record<string, unknown> } | { mode: "async"; operationId: string };

export type PollResult = { pending: true } | { pending: false; outcome: DeleteOutcome };

interface HalBody {
  _instance: Record<string, unknown>;
  _links: Record<string, unknown>;
  schemas?: unknown;
}

/** `{_instance: {...}, _links: {...}}` or a 400. */
export function halBody(body: unknown): HalBody {
  if (!isPlainObject(body)) throw repoError("ODE_ERR_REPO_INVALID_BODY", 400, "The body must be a JSON object with _instance and _links");
  if (!isPlainObject(body._instance)) throw repoError("ODE_ERR_REPO_INVALID_BODY", 400, "_instance is required and must be an object");
  if (!isPlainObject(body._links)) throw repoError("ODE_ERR_REPO_INVALID_BODY", 400, "_links is required and must be an object (it may be empty)");
  return body as unknown as HalBody;
}

/** Checks an If-Match header value against the current etag: `"N"`, `W/"N"`, `N`, `*`, or a list. */
export function checkIfMatch(ifMatch: string | undefined, etag: number): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"));
  if (tags.includes("*") || tags.includes(String(etag))) return;
  throw repoError("ODE_ERR_REPO_PRECONDITION", 409, `If-Match ${ifMatch} does not match the current etag "${etag}"`);
}

const instanceHref = (containerId: string, instanceId: string) => `/${containerId}/instances/${instanceId}`;
const linksWithoutSelf = (links: unknown): Record<string, unknown> => {
  const { self: _self, ...rest } = isPlainObject(links) ? links : {};
  return rest;
};

export class Repository {
  readonly store: RepositoryStore;
  readonly registry: SchemaRegistry;
  readonly deleteMode: DeleteMode;
  readonly #pendingPolls: number;
  readonly #now: () => number;
  readonly #onBackgroundError: (err: unknown) => void;

  constructor(options: RepositoryOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.deleteMode = options.deleteMode ?? "sync";
    this.#pendingPolls = options.deletePendingPolls ?? 0;
    this.#now = options.now ?? Date.now;
    this.#onBackgroundError = options.onBackgroundError ?? (() => undefined);
  }

  async #container(tx: StoreWriter | RepositoryStore, containerId: string) {
    const container = await tx.getContainer(containerId);
    if (!container) throw notFound(`Container ${containerId} does not exist`);
    return container;
  }

  async #current(tx: StoreWriter, containerId: string, instanceId: string): Promise<InstanceRecord> {
    await this.#container(tx, containerId);
    const current = await tx.getInstance(containerId, instanceId);
    if (!current) throw notFound(`Instance ${instanceId} does not exist in container ${containerId}`);
    return current;
  }

  #validate(schema: RegisteredSchema, instance: Record<string, unknown>): string[] {
    const report = this.registry.validate(schema.id, instance);
    if (report.length > 0) {
      throw repoError("ODE_ERR_REPO_VALIDATION", 400, `The instance does not validate against ${schema.id}`, { report });
    }
    return this.registry.memberships(schema.id, instance);
  }

  async #checkRules(tx: StoreWriter, containerId: string, instanceId: string, memberships: string[], instance: Record<string, unknown>) {
    const report = await ruleViolations({ registry: this.registry, reader: tx, containerId, instanceId, memberships }, instance);
    if (report.length > 0) throw repoError("ODE_ERR_REPO_RULE_VIOLATION", 422, report.map((r) => r.message).join("; "), { report });
  }

  #indexes(instance: Record<string, unknown>, memberships: string[]): InstanceIndexes {
    return { memberships, searchText: indexText(instance), references: referenceKeysOf(instance, stringsIn(instance)) };
  }

  /** Creates an instance; the schema comes from the Content-Type (or the body's `schemas`). */
  async create(containerId: string, schemaId: string | undefined, body: unknown, caller: Caller): Promise<WriteResult> {
    await this.#container(this.store, containerId);
    const hal = halBody(body);
    const sent = schemaId ?? (Array.isArray(hal.schemas) && typeof hal.schemas[0] === "string" ? hal.schemas[0] : undefined);
    const schema = this.registry.require(sent);
    const { "@id": _ignored, ...rest } = hal._instance;
    const instance = schema.hasAtId ? { "@id": newAtId(schema.idType), ...rest } : rest;
    const memberships = this.#validate(schema, instance);
    const now = this.#now();
    return this.store.write(async (tx) => {
      const container = await this.#container(tx, containerId);
      const instanceId = newInstanceId();
      await this.#checkRules(tx, containerId, instanceId, memberships, instance);
      const body = buildRepresentation({
        instanceId,
        href: instanceHref(containerId, instanceId),
        schema: sent!,
        productContexts: (container.body.productContexts as string[] | undefined) ?? [],
        stamp: { etag: 1, createdMs: now, modifiedMs: now, createdBy: caller.user, createdByClientId: caller.clientId },
        caller,
        ...(caller.sandboxName !== undefined ? { sandboxName: caller.sandboxName } : {}),
        instance,
        links: linksWithoutSelf(hal._links),
      });
      const record: InstanceRecord = { containerId, instanceId, atId: (instance["@id"] as string | undefined) ?? null, schemaId: schema.id, etag: 1, createdMs: now, modifiedMs: now, body };
      await tx.insertInstance(record, this.#indexes(instance, memberships));
      await tx.appendChange({ containerId, instanceId, atId: record.atId, schemaId: schema.id, kind: "create", etag: 1, atMs: now });
      return { record, receipt: receiptOf(body) };
    });
  }

  async read(containerId: string, instanceId: string): Promise<InstanceRecord> {
    await this.#container(this.store, containerId);
    const record = await this.store.getInstance(containerId, instanceId);
    if (!record) throw notFound(`Instance ${instanceId} does not exist in container ${containerId}`);
    return record;
  }

  /** Validates and stores a new `_instance`/`_links` for `current` (PUT and PATCH end here). */
  async #update(tx: StoreWriter, current: InstanceRecord, next: HalBody, caller: Caller, sent: string, keepOmittedId: boolean): Promise<WriteResult> {
    const schema = this.registry.require(sent);
    if (schema.id !== current.schemaId) {
      throw repoError("ODE_ERR_REPO_VALIDATION", 400, `The schema of an instance cannot change (${current.schemaId} → ${schema.id})`);
    }
    const before = current.body._instance as Record<string, unknown>;
    const instance = { ...next._instance };
    // PUT may leave out the server-managed @id (kept); a PATCH that removes it changes it (422).
    if (keepOmittedId && !("@id" in instance) && typeof before["@id"] === "string") instance["@id"] = before["@id"];
    const memberships = this.#validate(schema, instance);
    const report = annotationViolations(schema, before, instance, caller.service);
    if (report.length > 0) throw repoError("ODE_ERR_REPO_READ_ONLY_PROPERTY", 422, report.map((r) => `${r.path} ${r.message}`).join("; "), { report });
    await this.#checkRules(tx, current.containerId, current.instanceId, memberships, instance);
    const now = Math.max(this.#now(), current.modifiedMs);
    const etag = current.etag + 1;
    const body = buildRepresentation({
      instanceId: current.instanceId,
      href: instanceHref(current.containerId, current.instanceId),
      schema: sent,
      productContexts: (current.body.productContexts as string[] | undefined) ?? [],
      stamp: {
        etag,
        createdMs: current.createdMs,
        modifiedMs: now,
        createdBy: String(current.body["repo:createdBy"] ?? ""),
        createdByClientId: String(current.body["repo:createdByClientId"] ?? ""),
      },
      caller,
      ...(typeof current.body.sandboxName === "string" ? { sandboxName: current.body.sandboxName } : {}),
      instance,
      links: linksWithoutSelf(next._links),
    });
    const record: InstanceRecord = { ...current, atId: (instance["@id"] as string | undefined) ?? null, etag, modifiedMs: now, body };
    if (!(await tx.updateInstance(record, current.etag, this.#indexes(instance, memberships)))) {
      throw repoError("ODE_ERR_REPO_PRECONDITION", 409, "The instance changed concurrently; read it again and retry");
    }
    await tx.appendChange({ containerId: record.containerId, instanceId: record.instanceId, atId: record.atId, schemaId: record.schemaId, kind: "update", etag, atMs: now });
    return { record, receipt: receiptOf(body) };
  }

  async replace(containerId: string, instanceId: string, schemaId: string | undefined, body: unknown, ifMatch: string | undefined, caller: Caller): Promise<WriteResult> {
    const hal = halBody(body);
    return this.store.write(async (tx) => {
      const current = await this.#current(tx, containerId, instanceId);
      checkIfMatch(ifMatch, current.etag);
      const sent = schemaId ?? (current.body.schemas as string[])[0]!;
      return this.#update(tx, current, hal, caller, sent, true);
    });
  }

  async patch(containerId: string, instanceId: string, operations: unknown, ifMatch: string | undefined, caller: Caller): Promise<WriteResult> {
    return this.store.write(async (tx) => {
      const current = await this.#current(tx, containerId, instanceId);
      checkIfMatch(ifMatch, current.etag);
      const patched = applyInstancePatch(
        { _instance: current.body._instance as Record<string, unknown>, _links: linksWithoutSelf(current.body._links) },
        operations,
      );
      assertSafeJson(patched, "patched document");
      return this.#update(tx, current, patched, caller, (current.body.schemas as string[])[0]!, false);
    });
  }

  /** Decides a delete inside a write transaction: rejected while referenced, else deleted. */
  async #decideDelete(tx: StoreWriter, current: InstanceRecord): Promise<DeleteOutcome> {
    const referrers = current.atId === null ? [] : await tx.findReferrers(current.containerId, referenceKey(current.atId));
    const others = referrers.filter((r) => r.instanceId !== current.instanceId);
    if (others.length > 0) {
      return {
        status: "rejected",
        referencedBy: others.map((r) => ({ instanceId: r.instanceId, "@id": r.atId, schema: (r.body.schemas as string[])[0] ?? r.schemaId })),
      };
    }
    if (!(await tx.deleteInstance(current.containerId, current.instanceId, current.etag))) {
      throw repoError("ODE_ERR_REPO_PRECONDITION", 409, "The instance changed concurrently; read it again and retry");
    }
    await tx.appendChange({ containerId: current.containerId, instanceId: current.instanceId, atId: current.atId, schemaId: current.schemaId, kind: "delete", etag: current.etag, atMs: this.#now() });
    return { status: "deleted", receipt: receiptOf(current.body) };
  }

  async delete(containerId: string, instanceId: string, ifMatch: string | undefined): Promise<DeleteResult> {
    const result = await this.store.write(async (tx): Promise<DeleteResult> => {
      const current = await this.#current(tx, containerId, instanceId);
      checkIfMatch(ifMatch, current.etag);
      if (this.deleteMode === "async") {
        const operation: OperationRecord = { id: randomUUID(), containerId, instanceId, status: "pending", pendingPolls: this.#pendingPolls, result: null, createdMs: this.#now() };
        await tx.putOperation(operation);
        return { mode: "async", operationId: operation.id };
      }
      const outcome = await this.#decideDelete(tx, current);
      if (outcome.status === "rejected") {
        throw repoError("ODE_ERR_REPO_REFERENCED", 409, `Instance ${instanceId} is referenced by ${outcome.referencedBy.length} instance(s)`, {
          referencedBy: outcome.referencedBy,
        });
      }
      return { mode: "sync", receipt: outcome.receipt };
    });
    if (result.mode === "async" && this.#pendingPolls === 0) {
      setImmediate(() => this.#settle(containerId, result.operationId, false).catch(this.#onBackgroundError));
    }
    return result;
  }

  /** Advances an async delete: counts a pending poll, or decides and records the outcome. */
  async #settle(containerId: string, operationId: string, isPoll: boolean): Promise<PollResult> {
    return this.store.write(async (tx): Promise<PollResult> => {
      const op = await tx.getOperation(operationId);
      if (!op || op.containerId !== containerId) throw notFound(`Operation ${operationId} does not exist in container ${containerId}`);
      if (op.status !== "pending") return { pending: false, outcome: op.result as unknown as DeleteOutcome };
      if (isPoll && op.pendingPolls > 0) {
        await tx.putOperation({ ...op, pendingPolls: op.pendingPolls - 1 });
        return { pending: true };
      }
      if (!isPoll && op.pendingPolls > 0) return { pending: true };
      const current = await tx.getInstance(containerId, op.instanceId);
      const outcome: DeleteOutcome = current
        ? await this.#decideDelete(tx, current)
        : { status: "deleted", receipt: { instanceId: op.instanceId } };
      await tx.putOperation({ ...op, status: outcome.status, result: outcome as unknown as Record<string, unknown> });
      return { pending: false, outcome };
    });
  }

  poll(containerId: string, operationId: string): Promise<PollResult> {
    return this.#settle(containerId, operationId, true);
  }

  async list(containerId: string, query: QueryParams, search: boolean): Promise<ListPage & { request: ReturnType<typeof parseListRequest> }> {
    const request = parseListRequest(query, search);
    await this.#container(this.store, containerId);
    return { ...(await listPage(this.store, containerId, request)), request };
  }

  /** Every instance of a schema in a container (decision runtimes load their catalogue with it). */
  async instancesOf(containerId: string, schemaId: string): Promise<Representation[]> {
    const out: Representation[] = [];
    await this.store.scan({ containerId, schemaId: schemaKey(schemaId) }, (batch) => {
      for (const r of batch) out.push(r.body);
    });
    return out;
  }
}
