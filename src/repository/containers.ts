/**
 * Containers: the isolation units named by the first path segment of every instance URL. The
 * home document lists them, filtered by product context (`product=`, a union) and `property=`.
 * A container's representation is an instance of the container schema whose self link is
 * `/containers/{id}`; `productContexts` sits at its top level.
 */
import { randomUUID } from "node:crypto";
import { buildRepresentation, receiptOf, type Caller } from "./envelope";
import { matchesFilter, parsePropertyFilter } from "./filters";
import { notFound, repoError } from "./problem";
import { CONTAINER_SCHEMA } from "./media";
import { halBody, checkIfMatch, type Repository } from "./service";
import type { ContainerRecord, Representation } from "./store/port";

function productContexts(body: Record<string, unknown>, fallback: readonly string[] = []): string[] {
  const value = body.productContexts;
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw repoError("ODE_ERR_REPO_INVALID_BODY", 400, "productContexts must be an array of strings");
  }
  return value as string[];
}

function validateContainer(repository: Repository, instance: Record<string, unknown>): void {
  const report = repository.registry.validate(CONTAINER_SCHEMA, instance);
  if (report.length > 0) throw repoError("ODE_ERR_REPO_VALIDATION", 400, "The container does not validate", { report });
}

function containerBody(id: string, etag: number, created: ContainerRecord | undefined, now: number, caller: Caller, body: Record<string, unknown>, contexts: string[]): Representation {
  const hal = halBody(body);
  const { self: _self, ...links } = hal._links;
  return buildRepresentation({
    instanceId: id,
    href: `/containers/${id}`,
    schema: CONTAINER_SCHEMA,
    productContexts: contexts,
    stamp: {
      etag,
      createdMs: created?.createdMs ?? now,
      modifiedMs: now,
      createdBy: String(created?.body["repo:createdBy"] ?? caller.user),
      createdByClientId: String(created?.body["repo:createdByClientId"] ?? caller.clientId),
    },
    caller,
    ...(caller.sandboxName !== undefined ? { sandboxName: caller.sandboxName } : {}),
    instance: hal._instance,
    links,
  });
}

export async function homeContainers(repository: Repository, products: string[], properties: string[]): Promise<Representation[]> {
  const filters = properties.map(parsePropertyFilter);
  const containers = await repository.store.listContainers();
  return containers
    .map((c) => c.body)
    .filter((body) => products.length === 0 || (body.productContexts as string[]).some((p) => products.includes(p)))
    .filter((body) => filters.every((f) => matchesFilter(body, f)));
}

export async function createContainer(repository: Repository, body: unknown, caller: Caller, now = Date.now()): Promise<ContainerRecord> {
  const hal = halBody(body);
  validateContainer(repository, hal._instance);
  const id = randomUUID();
  const record: ContainerRecord = { id, etag: 1, createdMs: now, modifiedMs: now, body: containerBody(id, 1, undefined, now, caller, hal as unknown as Record<string, unknown>, productContexts(hal as unknown as Record<string, unknown>)) };
  await repository.store.write((tx) => tx.putContainer(record));
  return record;
}

export async function getContainer(repository: Repository, id: string): Promise<ContainerRecord> {
  const record = await repository.store.getContainer(id);
  if (!record) throw notFound(`Container ${id} does not exist`);
  return record;
}

export async function replaceContainer(repository: Repository, id: string, body: unknown, ifMatch: string | undefined, caller: Caller, now = Date.now()): Promise<ContainerRecord> {
  const hal = halBody(body) as unknown as Record<string, unknown>;
  validateContainer(repository, hal._instance as Record<string, unknown>);
  return repository.store.write(async (tx) => {
    const current = await tx.getContainer(id);
    if (!current) throw notFound(`Container ${id} does not exist`);
    checkIfMatch(ifMatch, current.etag);
    const contexts = productContexts(hal, current.body.productContexts as string[]);
    const record: ContainerRecord = { ...current, etag: current.etag + 1, modifiedMs: now, body: containerBody(id, current.etag + 1, current, now, caller, hal, contexts) };
    if (!(await tx.putContainer(record, current.etag))) throw repoError("ODE_ERR_REPO_PRECONDITION", 409, "The container changed concurrently");
    return record;
  });
}

/** Deletes an empty container (one that still holds instances → 409). */
export async function deleteContainer(repository: Repository, id: string, ifMatch: string | undefined): Promise<Record<string, unknown>> {
  return repository.store.write(async (tx) => {
    const current = await tx.getContainer(id);
    if (!current) throw notFound(`Container ${id} does not exist`);
    checkIfMatch(ifMatch, current.etag);
    if ((await tx.countInstances(id)) > 0) {
      throw repoError("ODE_ERR_REPO_CONTAINER_NOT_EMPTY", 409, `Container ${id} still holds instances; delete them first`);
    }
    await tx.deleteContainer(id);
    return receiptOf(current.body);
  });
}
