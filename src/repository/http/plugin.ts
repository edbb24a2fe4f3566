/**
 * The XCore HTTP API as a fastify plugin: register it under a prefix (default `/data/core/xcore`).
 * The plugin owns its body handling (raw text, parsed and checked here) and its error format
 * (`application/problem+json`, also for errors thrown by hooks of the enclosing scope, such as the
 * server's bearer-token check). Hrefs in bodies and `Location` headers are relative to the mount
 * point; `Content-Base` names it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DecisioningError } from "../../errors";
import { createContainer, deleteContainer, getContainer, homeContainers, replaceContainer } from "../containers";
import type { Caller } from "../envelope";
import { parseJsonBody } from "../json-body";
import type { QueryParams } from "../listing";
import { assertAcceptsJson, CONTAINER_SCHEMA, RESULTS_SCHEMA, writeMediaSchema, xcoreType } from "../media";
import { notFound, repoError, toProblem } from "../problem";
import type { Repository } from "../service";

export const DEFAULT_XCORE_PREFIX = "/data/core/xcore";
const MAX_ID_LENGTH = 128;
const HEADER_TEXT = /^[\x20-\x7e]{1,256}$/;

export interface XcorePluginOptions {
  repository: Repository;
  bodyLimit?: number;
  /** The mount point, for `Content-Base` (the plugin is registered with the same `prefix`). */
  mount?: string;
}

type Params = { containerId?: string; instanceId?: string; operationId?: string };

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && HEADER_TEXT.test(text) ? text : undefined;
}

function callerOf(request: FastifyRequest): Caller {
  const sandbox = header(request, "x-sandbox-name");
  return {
    user: header(request, "x-user-id") ?? "odd-api-user",
    clientId: header(request, "x-api-key") ?? "odd",
    ...(sandbox !== undefined ? { sandboxName: sandbox } : {}),
    service: header(request, "x-odd-service-caller") === "true",
  };
}

function queryParams(request: FastifyRequest): QueryParams {
  const out: QueryParams = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    out[key] = values.filter((v): v is string => typeof v === "string");
  }
  return out;
}

function ids(request: FastifyRequest): Required<Params> {
  const params = request.params as Params;
  for (const value of Object.values(params)) {
    if (typeof value !== "string" || value.length > MAX_ID_LENGTH) throw notFound("No such resource");
  }
  return params as Required<Params>;
}

function sendJson(reply: FastifyReply, status: number, type: string, body: unknown): FastifyReply {
  return reply.code(status).type(type).send(JSON.stringify(body));
}

function notModified(ifNoneMatch: string | undefined, etag: number): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"));
  return tags.includes("*") || tags.includes(String(etag));
}

function mapFrameworkError(err: unknown, bodyLimit: number): DecisioningError {
  if (DecisioningError.is(err)) return err;
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE" || e.statusCode === 413) {
    return repoError("ODE_ERR_REPO_TOO_LARGE", 413, `The request body exceeds the limit of ${bodyLimit} bytes`);
  }
  if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || e.statusCode === 415) {
    return repoError("ODE_ERR_REPO_UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Content-Type");
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return repoError("ODE_ERR_REPO_INVALID_BODY", 400, typeof e.message === "string" ? e.message : "Bad request");
  }
  return new DecisioningError("ODE_ERR_INTERNAL", "Internal server error", { cause: err });
}

/** Registers the error format, body handling and Accept check of the plugin scope. */
function setUpScope(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, (_request, body, done) => done(null, body));
  app.addHook("onRequest", async (request) => assertAcceptsJson(header(request, "accept") ?? request.headers.accept));
  app.setErrorHandler((err, request, reply) => {
    const error = mapFrameworkError(err, bodyLimit);
    const problem = toProblem(error, (reply.getHeader("x-request-id") as string | undefined) ?? request.id);
    if (problem.status >= 500) request.log.error({ err }, "repository request failed");
    return sendJson(reply, problem.status, "application/problem+json", problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(notFound(`No route for ${request.method} ${request.url.split("?")[0]}`), undefined);
    return sendJson(reply, 404, "application/problem+json", problem);
  });
}

export async function xcorePlugin(app: FastifyInstance, options: XcorePluginOptions): Promise<void> {
  const { repository } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const mount = (options.mount ?? DEFAULT_XCORE_PREFIX).replace(/\/+$/, "");
  setUpScope(app, bodyLimit);
  const contentBase = (request: FastifyRequest) => `${request.protocol}://${request.host}${mount}`;
  const writeBody = (request: FastifyRequest, format: "instance" | "patch") => {
    const schema = writeMediaSchema(request.headers["content-type"], format);
    return { schema, body: parseJsonBody(request.body as string | undefined) };
  };
  const sendReceipt = (reply: FastifyReply, status: number, receipt: Record<string, unknown>) =>
    sendJson(reply.header("etag", `"${String(receipt["repo:etag"])}"`), status, xcoreType("xdm.receipt"), receipt);

  app.get("/", async (request, reply) => {
    const query = queryParams(request);
    const containers = await homeContainers(repository, query.product ?? [], query.property ?? []);
    return sendJson(reply, 200, xcoreType("home.hal"), {
      _embedded: { [CONTAINER_SCHEMA]: containers },
      _links: { self: { href: "/" } },
    });
  });

  app.post("/containers", async (request, reply) => {
    const { schema, body } = writeBody(request, "instance");
    if (schema !== undefined && repository.registry.find(schema)?.id !== CONTAINER_SCHEMA) {
      throw repoError("ODE_ERR_REPO_SCHEMA_UNKNOWN", 400, `Containers are created with schema ${CONTAINER_SCHEMA}`);
    }
    const record = await createContainer(repository, body, callerOf(request));
    reply.header("location", `/containers/${record.id}`).header("content-base", contentBase(request));
    return sendReceipt(reply, 201, { instanceId: record.id, ...receiptFields(record.body) });
  });

  app.get("/containers/:containerId", async (request, reply) => {
    const record = await getContainer(repository, ids(request).containerId);
    reply.header("etag", `"${record.etag}"`);
    if (notModified(request.headers["if-none-match"], record.etag)) return reply.code(304).send();
    return sendJson(reply, 200, xcoreType("hal", CONTAINER_SCHEMA), record.body);
  });

  app.put("/containers/:containerId", async (request, reply) => {
    const { body } = writeBody(request, "instance");
    const record = await replaceContainer(repository, ids(request).containerId, body, request.headers["if-match"], callerOf(request));
    return sendReceipt(reply, 200, receiptFields(record.body));
  });

  app.delete("/containers/:containerId", async (request, reply) => {
    const receipt = await deleteContainer(repository, ids(request).containerId, request.headers["if-match"]);
    return sendReceipt(reply, 200, receipt);
  });

  registerInstanceRoutes(app, repository, { contentBase, writeBody, sendReceipt });
}

function receiptFields(body: Record<string, unknown>): Record<string, unknown> {
  const { _instance: _i, _links: _l, schemas: _s, productContexts: _p, sandboxName: _n, ...receipt } = body;
  return receipt;
}

interface RouteHelpers {
  contentBase(request: FastifyRequest): string;
  writeBody(request: FastifyRequest, format: "instance" | "patch"): { schema: string | undefined; body: unknown };
  sendReceipt(reply: FastifyReply, status: number, receipt: Record<string, unknown>): FastifyReply;
}

function registerInstanceRoutes(app: FastifyInstance, repository: Repository, helpers: RouteHelpers): void {
  const { writeBody, sendReceipt } = helpers;

  app.post("/:containerId/instances", async (request, reply) => {
    const { containerId } = ids(request);
    const { schema, body } = writeBody(request, "instance");
    const querySchema = queryParams(request).schema?.[0]?.replace(/^"(.*)"$/s, "$1");
    const { record, receipt } = await repository.create(containerId, schema ?? querySchema, body, callerOf(request));
    reply.header("location", `/${containerId}/instances/${record.instanceId}`).header("content-base", helpers.contentBase(request));
    return sendReceipt(reply, 201, receipt);
  });

  app.get("/:containerId/instances/:instanceId", async (request, reply) => {
    const { containerId, instanceId } = ids(request);
    const record = await repository.read(containerId, instanceId);
    reply.header("etag", `"${record.etag}"`);
    if (notModified(request.headers["if-none-match"], record.etag)) return reply.code(304).send();
    return sendJson(reply, 200, xcoreType("hal", (record.body.schemas as string[])[0]), record.body);
  });

  app.put("/:containerId/instances/:instanceId", async (request, reply) => {
    const { containerId, instanceId } = ids(request);
    const { schema, body } = writeBody(request, "instance");
    const { receipt } = await repository.replace(containerId, instanceId, schema, body, request.headers["if-match"], callerOf(request));
    return sendReceipt(reply, 200, receipt);
  });

  app.patch("/:containerId/instances/:instanceId", async (request, reply) => {
    const { containerId, instanceId } = ids(request);
    const { body } = writeBody(request, "patch");
    const { receipt } = await repository.patch(containerId, instanceId, body, request.headers["if-match"], callerOf(request));
    return sendReceipt(reply, 200, receipt);
  });

  app.delete("/:containerId/instances/:instanceId", async (request, reply) => {
    const { containerId, instanceId } = ids(request);
    const result = await repository.delete(containerId, instanceId, request.headers["if-match"]);
    if (result.mode === "sync") return sendReceipt(reply, 200, result.receipt);
    const location = `/${containerId}/operations/${result.operationId}`;
    return sendJson(reply.header("location", location), 202, "application/json", { status: "pending", operation: location });
  });

  app.get("/:containerId/operations/:operationId", async (request, reply) => {
    const { containerId, operationId } = ids(request);
    const result = await repository.poll(containerId, operationId);
    if (result.pending) {
      const location = `/${containerId}/operations/${operationId}`;
      return sendJson(reply.header("location", location), 202, "application/json", { status: "pending", operation: location });
    }
    return sendJson(reply, 200, "application/json", result.outcome);
  });

  const list = (search: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { containerId } = ids(request);
    const query = queryParams(request);
    const page = await repository.list(containerId, query, search);
    const path = `/${containerId}/${search ? "queries/core/search" : "instances"}`;
    const raw = request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "";
    const links: Record<string, unknown> = { self: { href: raw ? `${path}?${raw}` : path, "@type": RESULTS_SCHEMA } };
    if (page.nextStart !== undefined) {
      const next = new URLSearchParams(raw);
      for (const key of [...next.keys()]) if (/^(orderby|start)$/i.test(key)) next.delete(key);
      next.set("orderby", page.request.keys.map((k) => k.text).join(","));
      next.set("start", page.nextStart);
      links.next = { href: `${path}?${next.toString()}`, "@type": RESULTS_SCHEMA };
    }
    return sendJson(reply, 200, xcoreType("hal", RESULTS_SCHEMA), {
      requestTime: new Date().toISOString(),
      containerId,
      schemaNs: page.request.schema ?? null,
      _embedded: { results: page.items, count: page.items.length, total: page.total },
      _links: links,
    });
  };
  app.get("/:containerId/instances", list(false));
  app.get("/:containerId/queries/core/search", list(true));
}
