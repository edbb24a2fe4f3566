/**
 * The HTTP application (fastify): the Delivery API endpoint decided by a TargetClient, plus
 * health, readiness and metrics. Built without listening so tests drive it with `inject()`.
 */
import { randomUUID } from "node:crypto";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from "fastify";
import type { TargetClient } from "../client";
import type { GetOffersResult } from "../client";
import type { DeliveryRequest } from "../protocol/delivery";
import { DecisioningError, toDecisioningError } from "../errors";
import type { DecisioningMethod } from "../client";
import { checkDeliveryQuery, decisionHeaders, hasDecisionWork, HEADER_METHOD } from "../protocol/delivery-service";
import { DELIVERY_PATH } from "../protocol/endpoints";
import { httpError, toHttpError, type HttpError } from "./http-errors";
import type { PinoLogger } from "./logging";
import type { DecisionOutcome, ServiceMetrics } from "./metrics";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus";

export type DecisionClient = Pick<TargetClient, "getOffers" | "sendNotifications" | "status">;

export interface AppOptions {
  client: DecisionClient;
  /** The client code and organization this service decides for (query `client`/`imsOrgId` must match). */
  clientCode: string;
  organizationId: string;
  logger: PinoLogger;
  metrics: ServiceMetrics;
  bodyLimit: number;
  now?: () => number;
}

export {
  HEADER_ARTIFACT_VERSION,
  HEADER_METHOD,
  HEADER_REMOTE_ERROR,
  HEADER_REMOTE_MBOXES,
  HEADER_REMOTE_VIEWS,
} from "../protocol/delivery-service";

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function queryString(query: unknown, key: string): string | undefined {
  const value = isObject(query) ? query[key] : undefined;
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

function invalid(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", message);
}

function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
  return reply.code(error.status).type("application/json; charset=utf-8").send(error.body);
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { client, metrics, bodyLimit } = options;
  const now = options.now ?? Date.now;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
  });

  // Schema-less JSON for every content type: at.js posts Delivery requests as text/plain to avoid
  // CORS preflights. The default parser rejects __proto__/constructor.prototype keys.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequest(route, request.method, reply.statusCode);
    const level = route === DELIVERY_PATH || reply.statusCode >= 500 ? "info" : "debug";
    request.log[level](
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      "request completed",
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error, bodyLimit);
    if (mapped.status >= 500) request.log.error({ err: error, code: mapped.body.code }, "request failed");
    else request.log.debug({ code: mapped.body.code, status: mapped.status }, mapped.body.message);
    return sendError(reply, mapped);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      httpError(
        404,
        "ODE_ERR_INVALID_REQUEST",
        `No route for ${request.method} ${request.url.split("?")[0]}`,
      ),
    ),
  );

  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async (_request, reply) => {
    const s = client.status();
    const ready =
      s.ready && !s.closed && s.fresh && (s.artifact !== undefined || s.decisioningMethod === "server-side");
    const body = {
      ready,
      decisioningMethod: s.decisioningMethod,
      closed: s.closed,
      fresh: s.fresh,
      ...(s.artifact
        ? {
            artifact: {
              version: s.artifact.version,
              ...(s.artifact.generatedAt ? { generatedAt: s.artifact.generatedAt } : {}),
              ...(s.artifact.etag ? { etag: s.artifact.etag } : {}),
              source: s.artifact.source,
              retrievedAt: new Date(s.artifact.retrievedAt).toISOString(),
              ageMs: Math.max(0, now() - s.artifact.retrievedAt),
            },
          }
        : {}),
    };
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get("/metrics", async (request, reply) => {
    // Diagnostics for load tests: with node --expose-gc, `?gc=1` collects garbage first so the heap
    // gauge shows live memory. Without --expose-gc the parameter does nothing.
    const gc = (globalThis as { gc?: () => void }).gc;
    if ((request.query as Record<string, unknown> | undefined)?.gc === "1" && typeof gc === "function") gc();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.render());
  });

  app.post(DELIVERY_PATH, async (request, reply) => {
    const q = (key: string) => queryString(request.query, key);
    const sessionId = checkDeliveryQuery(
      { client: q("client"), imsOrgId: q("imsOrgId"), sessionId: q("sessionId") },
      options,
    );
    const body = request.body;
    if (!isObject(body)) throw invalid("The request body must be a JSON object (a Delivery API request)");
    metrics.inFlight(1);
    try {
      return await decideRequest(body, sessionId, reply);
    } finally {
      metrics.inFlight(-1);
    }
  });

  async function decideRequest(
    body: Record<string, unknown>,
    sessionId: string | undefined,
    reply: FastifyReply,
  ) {
    const { notifications, ...rest } = body;
    const withSession = sessionId !== undefined ? { sessionId } : {};
    // Notifications (e.g. at.js click and display events) are forwarded through the client's queue.
    const forwarding =
      Array.isArray(notifications) && notifications.length > 0
        ? client.sendNotifications({ request: { ...rest, notifications } as DeliveryRequest, ...withSession })
        : undefined;
    if (forwarding && !hasDecisionWork(rest)) {
      const result = await forwarding;
      reply.header(HEADER_METHOD, "server-side");
      return { ...result.response, status: 200, client: options.clientCode };
    }
    const started = performance.now();
    let result: GetOffersResult;
    try {
      result = await client.getOffers({ request: rest as DeliveryRequest, ...withSession });
    } catch (err) {
      const error = toDecisioningError(err);
      const method: DecisioningMethod = client.status().decisioningMethod;
      metrics.decision(method, "error", (performance.now() - started) / 1000, error.code);
      if (method === "server-side") metrics.remoteCall("error");
      await forwarding?.catch(() => undefined);
      throw error;
    }
    const meta = result.meta;
    const outcome: DecisionOutcome = meta.remoteError ? "partial" : "ok";
    metrics.decision(meta.decisioningMethod, outcome, (performance.now() - started) / 1000);
    const wentRemote =
      meta.decisioningMethod === "server-side" ||
      (meta.decisioningMethod === "hybrid" && (meta.remoteMboxes.length > 0 || meta.remoteViews.length > 0));
    if (wentRemote) metrics.remoteCall(meta.remoteError ? "error" : "ok");
    if (forwarding) await forwarding;
    reply.headers(decisionHeaders(meta));
    return result.response;
  }

  return app;
}
