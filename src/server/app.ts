/**
 * The HTTP application (fastify): one instance with what every API shares (the JSON body parser,
 * request logging and metrics, one error mapper, the 404 answer), and one plugin per API:
 *
 * - `operationsPlugin` (./plugins/operations): GET /health, /ready, /metrics
 * - `deliveryPlugin` (./plugins/delivery): POST /rest/v1/delivery
 * - the slot `plugins`: more APIs (the XCore repository under /data/core/xcore, offer decisions
 *   under /data/core/ode and /data/core/ods, the Admin API under /{tenant}/target/...), each
 *   registered with its own options, optional prefix and optional `onRequest` hooks (e.g. the
 *   shared bearer-token check of src/server/auth.ts for the write APIs).
 *
 * Errors thrown by any plugin's routes reach the one error mapper (./http-errors): a coded 4xx
 * for bad input, never a 500 for a DecisioningError that names the caller's mistake. Built
 * without listening, so tests drive it with `inject()`.
 */
import { randomUUID } from "node:crypto";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyServerOptions,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type onRequestHookHandler,
} from "fastify";
import { createAccessLog, type AccessLogMode } from "./access-log";
import { httpError, toHttpError, type HttpError } from "./http-errors";
import { requestLoggerFactory, type PinoLogger } from "./logging";
import type { ServiceMetrics } from "./metrics";
import { deliveryPlugin, type DecisionClient } from "./plugins/delivery";
import { operationsPlugin } from "./plugins/operations";

export {
  HEADER_ARTIFACT_VERSION,
  HEADER_METHOD,
  HEADER_REMOTE_ERROR,
  HEADER_REMOTE_MBOXES,
  HEADER_REMOTE_VIEWS,
  type DecisionClient,
} from "./plugins/delivery";

/**
 * One API plugged into the service. `options` go to the plugin as they are; `prefix` mounts its
 * routes under a path; `onRequest` hooks run before each of its routes only (fastify
 * encapsulation), which is how an auth hook guards one API and not the others.
 */
export interface ServicePlugin<O extends Record<string, unknown> = Record<string, unknown>> {
  /** Shown in logs and errors. */
  name: string;
  plugin: FastifyPluginAsync<O>;
  options: O;
  prefix?: string;
  onRequest?: onRequestHookHandler[];
}

export interface AppOptions {
  client: DecisionClient;
  /** The client code and organization this service decides for (query `client`/`imsOrgId` must match). */
  clientCode: string;
  organizationId: string;
  logger: PinoLogger;
  metrics: ServiceMetrics;
  bodyLimit: number;
  /** Access log: a summary per interval (default) or a line per Delivery request. */
  accessLog?: AccessLogMode;
  /** ms between access-log summaries (default 10 s). */
  accessLogIntervalMs?: number;
  now?: () => number;
  /** Further APIs (repository, offer decisions, Admin API), registered after the built-in ones. */
  plugins?: readonly ServicePlugin<any>[];
}

function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
  return reply.code(error.status).type("application/json; charset=utf-8").send(error.body);
}

/** What every API shares: body parsing, request logging and metrics, the error mapper, the 404. */
function installShared(app: FastifyInstance, options: AppOptions): void {
  const { metrics, bodyLimit } = options;
  // Schema-less JSON for every content type: at.js posts Delivery requests as text/plain to avoid
  // CORS preflights. The default parser rejects __proto__/constructor.prototype keys.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  const accessLog = createAccessLog(app.log, options.accessLog ?? "summary", options.accessLogIntervalMs);
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequest(route, request.method, reply.statusCode);
    accessLog.record(request.log, request.method, route, reply.statusCode, reply.elapsedTime);
    done();
  });
  app.addHook("onClose", (_app, done) => {
    accessLog.close();
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error, bodyLimit);
    if (mapped.status >= 500) request.log.error({ err: error, code: mapped.body.code }, "request failed");
    else request.log.debug({ code: mapped.body.code, status: mapped.status }, mapped.body.message);
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, httpError(404, "ODE_ERR_INVALID_REQUEST", `No route for ${request.method} ${request.url.split("?")[0]}`)),
  );
}

/** Registers one API in its own encapsulated scope, its hooks first. */
export function registerPlugin(app: FastifyInstance, entry: ServicePlugin<any>): void {
  const scoped: FastifyPluginAsync = async (scope) => {
    for (const hook of entry.onRequest ?? []) scope.addHook("onRequest", hook);
    await scope.register(entry.plugin, entry.options);
  };
  app.register(scoped, entry.prefix ? { prefix: entry.prefix } : {});
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { client, metrics, bodyLimit } = options;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLoggerFactory as unknown as FastifyServerOptions["childLoggerFactory"],
    bodyLimit,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
  });
  installShared(app, options);
  const builtIn: ServicePlugin<any>[] = [
    { name: "operations", plugin: operationsPlugin, options: { client, metrics, now: options.now ?? Date.now } },
    {
      name: "delivery",
      plugin: deliveryPlugin,
      options: { client, clientCode: options.clientCode, organizationId: options.organizationId, metrics },
    },
  ];
  for (const entry of [...builtIn, ...(options.plugins ?? [])]) registerPlugin(app, entry);
  return app;
}
