/**
 * The Batch API: validates a whole batch first (any problem → one 400 listing every problem, nothing
 * runs), then executes the operations as a dependency graph. An operation runs when all its
 * dependencies succeeded (2xx); if one failed or was skipped it is skipped too. Operations whose
 * dependencies are done run concurrently (each is an ordinary request through the same router, so
 * the store's transactions keep them safe). `{operationIdResponse:N}` is replaced by the id that
 * operation N created. Results come back in operation-id order. docs/admin-api.md "Batch".
 */
import { adminError, type WireError } from "./errors";
import { isRecord } from "./fields";

export const MAX_OPERATIONS = 256;
export const MAX_HEADERS = 50;
export const MAX_DEPENDENCIES = 255;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const PLACEHOLDER = /\{operationIdResponse:(\d+)\}/g;
const WHOLE_PLACEHOLDER = /^\{operationIdResponse:(\d+)\}$/;
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

export interface BatchOperation {
  operationId: number;
  method: string;
  relativeUrl: string;
  headers: Map<string, { name: string; value: string }>;
  body: unknown;
  dependsOn: number[];
  /** Operations whose created id this one uses. */
  references: number[];
}

export interface DispatchRequest {
  method: string;
  /** Path below the tenant, e.g. /target/offers/content/5 (query string included). */
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface DispatchResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** Response text. */
  body: string;
}

export interface BatchResult {
  operationId: number;
  skipped: boolean;
  statusCode?: number;
  headers?: { name: string; value: string }[];
  body?: unknown;
}

export interface BatchOptions {
  /** Results carry the body as a JSON string (Target's documented form, default) or inline. */
  inlineBodies?: boolean;
}

const problem = (errorCode: string, message: string, operationId?: number): WireError => ({
  errorCode,
  message,
  ...(operationId !== undefined ? { meta: { operationId } } : {}),
});

function collectPlaceholders(value: unknown, out: Set<number>, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === "string") for (const m of value.matchAll(PLACEHOLDER)) out.add(Number(m[1]));
  else if (Array.isArray(value)) value.forEach((v) => collectPlaceholders(v, out, depth + 1));
  else if (isRecord(value)) Object.values(value).forEach((v) => collectPlaceholders(v, out, depth + 1));
}

function parseOperation(raw: unknown, index: number, problems: WireError[]): BatchOperation | undefined {
  const where = `operations[${index}]`;
  if (!isRecord(raw)) {
    problems.push(problem("Batch.Operation.Invalid", `${where} must be an object`));
    return undefined;
  }
  const id = raw.operationId;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_OPERATIONS - 1) {
    problems.push(problem("Batch.Operation.Invalid", `${where}.operationId must be an integer 0-${MAX_OPERATIONS - 1}`));
    return undefined;
  }
  const bad = (message: string) => problems.push(problem("Batch.Operation.Invalid", `operation ${id}: ${message}`, id));
  if (typeof raw.method !== "string" || !METHODS.has(raw.method)) bad("method must be one of GET, POST, PUT, PATCH, DELETE (upper case)");
  if (typeof raw.relativeUrl !== "string" || !raw.relativeUrl.startsWith("/")) bad("relativeUrl is required and must start with /");
  else if (raw.relativeUrl.length > 4096) bad("relativeUrl is longer than 4096 characters");
  // No dot segments or backslashes: an operation must stay inside the batch's tenant.
  else if (DOT_SEGMENT.test(raw.relativeUrl.split("?")[0]!) || raw.relativeUrl.includes("\\")) bad("relativeUrl must not contain . or .. segments or backslashes");
  const headers = new Map<string, { name: string; value: string }>();
  if (raw.headers !== undefined) {
    if (!Array.isArray(raw.headers)) bad("headers must be an array of {name, value}");
    else if (raw.headers.length > MAX_HEADERS) bad(`at most ${MAX_HEADERS} headers`);
    else
      for (const h of raw.headers) {
        if (!isRecord(h) || typeof h.name !== "string" || h.name.trim() === "" || (h.value !== undefined && typeof h.value !== "string")) {
          bad("every header needs a non-empty name and a string value");
          break;
        }
        // Names compare case-insensitively; a later header overrides an earlier one.
        headers.set(h.name.toLowerCase(), { name: h.name, value: h.value ?? "" });
      }
  }
  const dependsOn: number[] = [];
  if (raw.dependsOnOperationIds !== undefined) {
    const deps = raw.dependsOnOperationIds;
    if (!Array.isArray(deps) || deps.length > MAX_DEPENDENCIES || deps.some((d) => typeof d !== "number" || !Number.isInteger(d))) {
      bad(`dependsOnOperationIds must be an array of at most ${MAX_DEPENDENCIES} operation ids`);
    } else if (new Set(deps).size !== deps.length) bad("dependsOnOperationIds repeats an id");
    else dependsOn.push(...(deps as number[]));
  }
  const method = String(raw.method);
  const body = raw.body === undefined ? {} : raw.body;
  const references = new Set<number>();
  collectPlaceholders(raw.relativeUrl, references);
  if (method !== "GET" && method !== "DELETE") collectPlaceholders(body, references);
  return { operationId: id, method, relativeUrl: String(raw.relativeUrl), headers, body, dependsOn, references: [...references] };
}

/** Validation phase: the parsed operations, or a 400 DecisioningError listing every problem. */
export function validateBatch(input: unknown, isBatchPath: (url: string) => boolean): BatchOperation[] {
  const problems: WireError[] = [];
  const fail = () => adminError(400, "ODE_ERR_BATCH_INVALID", problems);
  if (!isRecord(input) || !Array.isArray(input.operations)) {
    problems.push(problem("Batch.Request.Invalid", "the body must be {\"operations\": [ ... ]}"));
    throw fail();
  }
  const raw = input.operations;
  if (raw.length === 0 || raw.length > MAX_OPERATIONS) {
    problems.push(problem("Batch.Request.Invalid", `operations must hold 1-${MAX_OPERATIONS} entries, got ${raw.length}`));
    throw fail();
  }
  const operations = raw.map((op, i) => parseOperation(op, i, problems)).filter((op): op is BatchOperation => op !== undefined);
  const byId = new Map<number, BatchOperation>();
  for (const op of operations) {
    if (byId.has(op.operationId)) problems.push(problem("Batch.Operation.Invalid", `operationId ${op.operationId} is used twice`, op.operationId));
    byId.set(op.operationId, op);
  }
  for (const op of operations) {
    for (const dep of op.dependsOn) {
      if (dep === op.operationId) problems.push(problem("Batch.Dependency.Cycle", `operation ${op.operationId} depends on itself`, op.operationId));
      else if (!byId.has(dep)) problems.push(problem("Batch.Dependency.Invalid", `operation ${op.operationId} depends on unknown operation ${dep}`, op.operationId));
    }
    if (isBatchPath(op.relativeUrl)) problems.push(problem("Batch.Operation.Invalid", `operation ${op.operationId}: a batch cannot contain a batch`, op.operationId));
  }
  const cycle = findCycle(operations, byId);
  if (cycle) problems.push(problem("Batch.Dependency.Cycle", `dependency cycle ${cycle.join(" → ")}`, cycle[0]));
  if (!cycle) checkReferences(operations, byId, problems);
  if (problems.length > 0) throw fail();
  return operations.sort((a, b) => a.operationId - b.operationId);
}

function findCycle(operations: BatchOperation[], byId: Map<number, BatchOperation>): number[] | undefined {
  const state = new Map<number, "visiting" | "done">();
  const stack: number[] = [];
  const visit = (id: number): number[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) {
      if (dep === id || !byId.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const op of operations) {
    const found = visit(op.operationId);
    if (found) return found;
  }
  return undefined;
}

function transitiveDependencies(op: BatchOperation, byId: Map<number, BatchOperation>): Set<number> {
  const seen = new Set<number>();
  const pending = [...op.dependsOn];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return seen;
}

function checkReferences(operations: BatchOperation[], byId: Map<number, BatchOperation>, problems: WireError[]): void {
  for (const op of operations) {
    if (op.references.length === 0) continue;
    const deps = transitiveDependencies(op, byId);
    for (const ref of op.references) {
      const target = byId.get(ref);
      const why = !target
        ? `refers to unknown operation ${ref}`
        : target.method !== "POST"
          ? `refers to operation ${ref}, which is not a POST`
          : !deps.has(ref)
            ? `refers to operation ${ref} without depending on it (directly or transitively)`
            : undefined;
      if (why) problems.push(problem("Batch.Reference.Invalid", `operation ${op.operationId} ${why}`, op.operationId));
    }
  }
}

/** Replaces placeholders: a string that is only a placeholder becomes the raw id, else text. */
function substitute(value: unknown, ids: Map<number, unknown>, depth = 0): unknown {
  if (depth > 64) return value;
  if (typeof value === "string") {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return ids.get(Number(whole[1]));
    return value.replace(PLACEHOLDER, (_m, n: string) => String(ids.get(Number(n))));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids, depth + 1));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids, depth + 1)]));
  return value;
}

function createdId(body: string): unknown {
  try {
    const parsed = JSON.parse(body) as unknown;
    const id = isRecord(parsed) ? parsed.id : undefined;
    return typeof id === "number" || (typeof id === "string" && id !== "") ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface ExecuteContext {
  operations: BatchOperation[];
  /** The batch request's Authorization header, copied to operations that set none. */
  authorization?: string;
  dispatch: (request: DispatchRequest) => Promise<DispatchResponse>;
  options?: BatchOptions;
}

/** Execution phase: runs the graph; one result per operation, ascending operationId. */
export async function executeBatch(ctx: ExecuteContext): Promise<BatchResult[]> {
  const { operations } = ctx;
  const results = new Map<number, BatchResult>();
  const createdIds = new Map<number, unknown>();
  const outcome = new Map<number, Promise<boolean>>();

  const run = (op: BatchOperation): Promise<boolean> => {
    const known = outcome.get(op.operationId);
    if (known) return known;
    const promise = (async () => {
      const deps = await Promise.all(op.dependsOn.map((id) => run(operations.find((o) => o.operationId === id)!)));
      if (deps.some((ok) => !ok)) {
        results.set(op.operationId, { operationId: op.operationId, skipped: true });
        return false;
      }
      return runOne(ctx, op, createdIds, results);
    })();
    outcome.set(op.operationId, promise);
    return promise;
  };
  await Promise.all(operations.map(run));
  return operations.map((op) => results.get(op.operationId)!);
}

async function runOne(ctx: ExecuteContext, op: BatchOperation, createdIds: Map<number, unknown>, results: Map<number, BatchResult>): Promise<boolean> {
  const missing = op.references.filter((ref) => createdIds.get(ref) === undefined);
  if (missing.length > 0) {
    const body = { httpStatus: 400, errors: [{ errorCode: "Batch.Reference.Invalid", message: `operation ${missing[0]} created no id to substitute` }] };
    results.set(op.operationId, { operationId: op.operationId, skipped: false, statusCode: 400, headers: [], body: ctx.options?.inlineBodies ? body : JSON.stringify(body) });
    return false;
  }
  const url = op.relativeUrl.replace(PLACEHOLDER, (_m, n: string) => encodeURIComponent(String(createdIds.get(Number(n)))));
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (ctx.authorization !== undefined) headers.authorization = ctx.authorization;
  for (const [lower, { value }] of op.headers) headers[lower] = value;
  const hasBody = op.method !== "GET" && op.method !== "DELETE";
  const response = await ctx.dispatch({ method: op.method, url, headers, ...(hasBody ? { body: substitute(op.body, createdIds) } : {}) });
  const ok = response.statusCode >= 200 && response.statusCode < 300;
  if (ok && op.method === "POST") {
    const id = createdId(response.body);
    if (id !== undefined) createdIds.set(op.operationId, id);
  }
  let body: unknown = response.body;
  if (ctx.options?.inlineBodies) {
    try {
      body = response.body === "" ? undefined : JSON.parse(response.body);
    } catch {
      body = response.body;
    }
  }
  const responseHeaders = Object.entries(response.headers)
    .filter(([name, value]) => value !== undefined && (name === "content-type" || name === "location" || name === "etag"))
    .map(([name, value]) => ({ name, value: String(value) }));
  results.set(op.operationId, { operationId: op.operationId, skipped: false, statusCode: response.statusCode, headers: responseHeaders, body });
  return ok;
}
