/**
 * The Admin API over HTTP: a fastify plugin serving `/{tenant}/target/…` (and the Batch API at
 * `/{tenant}/target/batch`). Every error is Target's ErrorResponse
 * `{httpStatus, requestId, requestTime, errors: [{errorCode, message, meta?}]}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DecisioningError } from "../errors";
import * as activities from "./activities";
import type { ActivityAttribute, Ctx, Result } from "./activities";
import { executeBatch, validateBatch, type BatchOptions } from "./batch";
import { adminError, notFound, unsupportedVersion, wireErrors, type WireError } from "./errors";
import { assertPlainJson, requireBody } from "./fields";
import * as library from "./library";
import type { Query } from "./listing";
import { mediaType, requestVersion } from "./media-type";
import type { AdminService } from "./service";
import * as settings from "./settings";
import type { Publisher } from "../publish/publisher";
import { sendArtifact } from "../publish/http";

export interface AdminPluginOptions {
  service: AdminService;
  publisher: Publisher;
  /**
   * The service's bearer-token check (an onRequest hook, see src/server/auth.ts); it rejects with a
   * 401 error that this plugin renders as an ErrorResponse.
   */
  authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  batch?: BatchOptions;
  /** Largest accepted body in bytes; default 8 MiB (a batch of 256 operations). */
  bodyLimit?: number;
}

export const ADMIN_BODY_LIMIT = 8 * 1024 * 1024;
const STATUS_CODES: Record<number, string> = { 401: "Authorization.Required", 403: "Forbidden", 404: "Resource.NotFound", 413: "Request.TooLarge", 415: "Request.UnsupportedMediaType" };
const ATTRIBUTES = new Set(["name", "state", "priority", "schedule"]);
const ACTIVITY_TYPES = new Set(["ab", "xt"]);
const OFFER_TYPES = new Set(["content", "json"]);

type Params = Record<string, string>;
type Handler = (request: FastifyRequest, ctx: Ctx) => Promise<Result>;

export function errorResponse(request: FastifyRequest, status: number, errors: WireError[]) {
  return { httpStatus: status, requestId: String(request.id), requestTime: new Date().toISOString(), errors };
}

function toErrorResponse(error: unknown, request: FastifyRequest): { status: number; body: ReturnType<typeof errorResponse> } {
  const wire = wireErrors(error);
  if (wire && DecisioningError.is(error)) return { status: error.status ?? 400, body: errorResponse(request, error.status ?? 400, wire) };
  // Errors of shared hooks (e.g. the service's bearer-token check) carry `status`; fastify's carry `statusCode`.
  const other = error as { statusCode?: number; status?: number; message?: string };
  const given = DecisioningError.is(error) ? error.status : other.statusCode;
  const status = typeof given === "number" && given >= 400 && given < 500 ? given : 500;
  if (status === 500) return { status, body: errorResponse(request, 500, [{ errorCode: "Internal.Error", message: "Internal server error" }]) };
  const errorCode = STATUS_CODES[status] ?? "Request.Invalid";
  const fastifyError = other;
  return { status, body: errorResponse(request, status, [{ errorCode, message: fastifyError.message ?? "Bad request" }]) };
}

export async function adminPlugin(app: FastifyInstance, options: AdminPluginOptions): Promise<void> {
  const { service, publisher } = options;
  const bodyLimit = options.bodyLimit ?? ADMIN_BODY_LIMIT;
  // Bodies are JSON whatever the (vendor) media type says; __proto__ / constructor.prototype keys are rejected.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, app.getDefaultJsonParser("error", "error"));

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error, request);
    if (status >= 500) request.log.error({ err: error }, "admin request failed");
    return reply.code(status).type("application/json; charset=utf-8").send(body);
  });

  app.addHook("onRequest", options.authenticate);

  const route = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, write: boolean, handler: Handler) =>
    app.route({
      method,
      url: `/:tenant/target${path}`,
      bodyLimit,
      handler: async (request, reply) => {
        const version = requestVersion(request.method, request.headers);
        const tenant = (request.params as Params).tenant!;
        const result = await service.run(tenant, version, write, async (ctx) => handler(request, ctx));
        return reply.code(result.status).type(`${mediaType(version)}; charset=utf-8`).send(result.body);
      },
    });

  registerActivityRoutes(route);
  registerLibraryRoutes(route);
  registerSettingsRoutes(route);
  registerBatchRoute(app, options, bodyLimit);
  registerBundleRoutes(app, service, publisher);

  // Anything else under /{tenant}/target is an unknown route: 404 in the ErrorResponse shape.
  app.all("/:tenant/target/*", async (request) => {
    throw notFound(`No route for ${request.method} ${request.url.split("?")[0]}`);
  });
  app.all("/:tenant/target", async (request) => {
    throw notFound(`No route for ${request.method} ${request.url.split("?")[0]}`);
  });
}

type Route = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, write: boolean, handler: Handler) => unknown;

const params = (r: FastifyRequest) => r.params as Params;
const query = (r: FastifyRequest) => r.query as Query;
const body = (r: FastifyRequest) => requireBody(r.body);
const patchBody = (operations: unknown[]) => {
  assertPlainJson(operations, "body", 0);
  return operations;
};

function activityType(raw: string | undefined): "ab" | "xt" {
  if (!raw || !ACTIVITY_TYPES.has(raw)) throw notFound(`No activity type "${raw}" (ab, xt)`);
  return raw as "ab" | "xt";
}

function registerActivityRoutes(route: Route): void {
  route("GET", "/activities", false, async (r, ctx) => activities.listActivities(ctx, query(r)));
  route("POST", "/activities/:type", true, async (r, ctx) => activities.createActivity(ctx, activityType(params(r).type), body(r)));
  route("GET", "/activities/:a/:b", false, async (r, ctx) => {
    const { a, b } = params(r);
    if (b === "changelog") return activities.activityChangelog(ctx, a!, query(r));
    return activities.getActivity(ctx, activityType(a), b!);
  });
  route("PUT", "/activities/:a/:b", true, async (r, ctx) => {
    const { a, b } = params(r);
    if (ATTRIBUTES.has(b!) && !ACTIVITY_TYPES.has(a!)) return activities.updateAttribute(ctx, undefined, a!, b as ActivityAttribute, body(r));
    return activities.replaceActivity(ctx, activityType(a), b!, body(r));
  });
  route("DELETE", "/activities/:a/:b", true, async (r, ctx) => activities.deleteActivity(ctx, activityType(params(r).a), params(r).b!));
  route("PUT", "/activities/:type/:id/:attribute", true, async (r, ctx) => {
    const { type, id, attribute } = params(r);
    if (!ATTRIBUTES.has(attribute!)) throw notFound(`No activity attribute "${attribute}" (name, state, priority, schedule)`);
    return activities.updateAttribute(ctx, activityType(type), id!, attribute as ActivityAttribute, body(r));
  });
}

function offerType(raw: string | undefined): "content" | "json" {
  if (!raw || !OFFER_TYPES.has(raw)) throw notFound(`No offer type "${raw}" (content, json)`);
  return raw as "content" | "json";
}

function registerLibraryRoutes(route: Route): void {
  route("GET", "/offers", false, async (r, ctx) => library.listOffers(ctx, query(r)));
  route("POST", "/offers/:type", true, async (r, ctx) => library.createOffer(ctx, offerType(params(r).type), body(r)));
  route("GET", "/offers/:type/:id", false, async (r, ctx) => library.getOffer(ctx, offerType(params(r).type), params(r).id!));
  route("PUT", "/offers/:type/:id", true, async (r, ctx) => library.replaceOffer(ctx, offerType(params(r).type), params(r).id!, body(r)));
  route("DELETE", "/offers/:type/:id", true, async (r, ctx) => library.deleteOffer(ctx, offerType(params(r).type), params(r).id!));
  route("GET", "/audiences", false, async (r, ctx) => library.listAudiences(ctx, query(r)));
  route("POST", "/audiences", true, async (r, ctx) => library.createAudience(ctx, body(r)));
  route("GET", "/audiences/:id", false, async (r, ctx) => library.getAudience(ctx, params(r).id!));
  route("PUT", "/audiences/:id", true, async (r, ctx) => library.replaceAudience(ctx, params(r).id!, body(r), false));
  // PATCH takes a partial audience (merged) or RFC 6902 JSON Patch operations (an array).
  route("PATCH", "/audiences/:id", true, async (r, ctx) => library.replaceAudience(ctx, params(r).id!, Array.isArray(r.body) ? patchBody(r.body) : body(r), true));
  route("DELETE", "/audiences/:id", true, async (r, ctx) => library.deleteAudience(ctx, params(r).id!));
}

function registerSettingsRoutes(route: Route): void {
  route("GET", "/mboxes", false, async (r, ctx) => settings.listMboxes(ctx, query(r)));
  route("GET", "/mbox/:name", false, async (r, ctx) => settings.getMbox(ctx, params(r).name!));
  route("GET", "/profileattributes/mbox", false, async (r, ctx) => settings.profileAttributes(ctx));
  route("GET", "/environments", false, async (r, ctx) => settings.listEnvironments(ctx, query(r)));
  route("POST", "/environments", true, async (r, ctx) => settings.createEnvironment(ctx, body(r)));
  route("GET", "/properties", false, async (r, ctx) => settings.listProperties(ctx, query(r)));
  route("POST", "/properties", true, async (r, ctx) => settings.createProperty(ctx, body(r)));
  route("GET", "/responsetokens", false, async (r, ctx) => settings.listResponseTokens(ctx, query(r)));
  route("POST", "/responsetokens", true, async (r, ctx) => settings.createResponseToken(ctx, body(r)));
}

const isBatchPath = (url: string) => /^\/target\/batch\/?(\?|$)/.test(url) || /^\/[^/]+\/target\/batch\/?(\?|$)/.test(url);

function registerBatchRoute(app: FastifyInstance, options: AdminPluginOptions, bodyLimit: number): void {
  app.post("/:tenant/target/batch", { bodyLimit }, async (request, reply) => {
    const version = requestVersion("POST", request.headers);
    if (version !== 1) throw unsupportedVersion("the Batch API is version 1 (application/json)");
    const tenant = (request.params as Params).tenant!;
    const operations = validateBatch(request.body, isBatchPath);
    const authorization = typeof request.headers.authorization === "string" ? request.headers.authorization : undefined;
    const results = await executeBatch({
      operations,
      ...(authorization !== undefined ? { authorization } : {}),
      ...(options.batch ? { options: options.batch } : {}),
      dispatch: async (op) => {
        const response = await app.inject({
          method: op.method as "GET",
          url: `/${encodeURIComponent(tenant)}${op.url}`,
          headers: op.headers,
          ...(op.body !== undefined ? { payload: JSON.stringify(op.body) } : {}),
        });
        return { statusCode: response.statusCode, headers: response.headers, body: response.body };
      },
    });
    return reply.code(200).type("application/json; charset=utf-8").send({ results });
  });
}

function registerBundleRoutes(app: FastifyInstance, service: AdminService, publisher: Publisher): void {
  app.get("/:tenant/target/ondevicedecisioning/bundle", async (request: FastifyRequest, reply: FastifyReply) => {
    const tenant = (request.params as Params).tenant!;
    const q = request.query as Record<string, unknown>;
    const client = typeof q.client === "string" && q.client !== "" ? q.client : tenant;
    if (client !== tenant) throw adminError(400, "ODE_ERR_ADMIN_INVALID", [{ errorCode: "Request.Invalid", message: `client "${client}" does not match the tenant "${tenant}"`, meta: { field: "client" } }]);
    const environment = typeof q.environment === "string" && q.environment !== "" ? q.environment : "production";
    const token = typeof q["property-token"] === "string" ? (q["property-token"] as string) : "";
    let artifact = await publisher.artifact(tenant, environment, token);
    if (!artifact) {
      // A tenant that never published yet (e.g. first call): publish once, then look again.
      await service.run(tenant, 1, false, async () => ({ status: 200, body: null }));
      await publisher.publish(tenant);
      artifact = await publisher.artifact(tenant, environment, token);
    }
    if (!artifact) throw notFound(`No artifact for environment "${environment}"${token ? ` and property token "${token}"` : ""}`);
    return sendArtifact(request, reply, artifact, "json");
  });
  app.post("/:tenant/target/ondevicedecisioning/publish", async (request) => {
    const tenant = (request.params as Params).tenant!;
    await service.run(tenant, 1, false, async () => ({ status: 200, body: null }));
    return publisher.publish(tenant);
  });
}
