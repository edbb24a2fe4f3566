/**
 * The ODE runtime endpoints as a fastify plugin: `GET …/offers?activityId=…`, `GET …/diagnostics`
 * and `POST …/decisions`, under `/data/core/ode/{containerId}` and the container-less
 * `/data/core/ods` (the container is then the one holding the requested activities). Errors are
 * `application/problem+json` with a catalogued code: 400 malformed, 404 unknown container,
 * 422 semantic (unknown activity or placement, inactive activity, itemCount out of range).
 * Authentication and request-id hooks are passed in, so every protected API shares one check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { DecisioningError } from "../errors";
import type { OfferRuntime } from "./core/runtime";

export const ODE_PREFIX = "/data/core/ode";
export const ODS_PREFIX = "/data/core/ods";
export const DECISION_RESPONSE_TYPE =
  'application/vnd.adobe.xdm+json; schema="https://ns.adobe.com/experience/offer-management/decision-response;version=1.0"';
const MAX_CONTAINER_ID = 128;
const MAX_ACTIVITY_ID = 1024;

export interface OffersPluginOptions {
  runtime: OfferRuntime;
  /** onRequest hooks of the scope, in order (bearer-token check, request-id echo). */
  hooks?: readonly onRequestHookHandler[];
  bodyLimit?: number;
  /** Called once per answered decision request with its HTTP status. */
  onDecision?: (status: number) => void;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
};

function problem(error: DecisioningError): { status: number; body: Record<string, unknown> } {
  const status = error.status !== undefined && error.status >= 400 && error.status < 500 ? error.status : 500;
  const internal = status >= 500;
  return {
    status,
    body: {
      type: `urn:odd:problem:${(internal ? "internal" : error.code.replace(/^ODE_ERR_/, "")).toLowerCase().replace(/_/g, "-")}`,
      title: TITLES[status] ?? "Error",
      status,
      detail: internal ? "Internal server error" : error.message,
      code: internal ? "ODE_ERR_INTERNAL" : error.code,
    },
  };
}

function frameworkError(err: unknown, bodyLimit: number): DecisioningError {
  if (DecisioningError.is(err)) return err;
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE" || e.statusCode === 413) {
    return new DecisioningError(
      "ODE_ERR_OFFERS_INVALID_REQUEST",
      `The request body exceeds ${bodyLimit} bytes`,
      { status: 413 },
    );
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    const message = typeof e.message === "string" ? e.message : "Bad request";
    return new DecisioningError("ODE_ERR_OFFERS_INVALID_REQUEST", message, { status: 400 });
  }
  return new DecisioningError("ODE_ERR_INTERNAL", "Internal server error", { cause: err });
}

function badRequest(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_OFFERS_INVALID_REQUEST", message, { status: 400 });
}

function containerOf(request: FastifyRequest): string | undefined {
  const id = (request.params as { containerId?: unknown }).containerId;
  if (id === undefined) return undefined;
  if (typeof id !== "string" || id === "" || id.length > MAX_CONTAINER_ID)
    throw badRequest("invalid container id");
  return id;
}

/** `activityId` query values: repeated parameters and/or comma-separated lists. */
function activityIds(request: FastifyRequest): string[] {
  const raw = (request.query as Record<string, unknown> | undefined)?.["activityId"];
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) =>
    typeof v === "string" ? v.split(",") : [],
  );
  const ids = values.map((v) => v.trim()).filter((v) => v !== "");
  if (ids.some((id) => id.length > MAX_ACTIVITY_ID)) throw badRequest("activityId is too long");
  return ids;
}

function setUpScope(app: FastifyInstance, options: OffersPluginOptions, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  // Decision requests arrive as application/vnd.adobe.xdm+json; schema=…, or plain JSON: parse any
  // type as JSON. The default parser rejects __proto__ and constructor.prototype keys.
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, app.getDefaultJsonParser("error", "error"));
  for (const hook of options.hooks ?? []) app.addHook("onRequest", hook);
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = problem(frameworkError(err, bodyLimit));
    if (status >= 500) request.log.error({ err }, "offer decisioning request failed");
    return reply.code(status).type("application/problem+json").send(JSON.stringify(body));
  });
}

export async function offersPlugin(app: FastifyInstance, options: OffersPluginOptions): Promise<void> {
  const { runtime } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  setUpScope(app, options, bodyLimit);
  const json = (reply: FastifyReply, body: unknown, type = "application/json") =>
    reply.code(200).type(type).send(JSON.stringify(body));
  const decide = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const body = await runtime.decide(containerOf(request), request.body);
      options.onDecision?.(200);
      return json(reply, body, DECISION_RESPONSE_TYPE);
    } catch (err) {
      options.onDecision?.(problem(frameworkError(err, bodyLimit)).status);
      throw err;
    }
  };
  const offers = async (request: FastifyRequest, reply: FastifyReply) =>
    json(reply, runtime.activityOffers(containerOf(request), activityIds(request)));
  const diagnostics = async (request: FastifyRequest, reply: FastifyReply) =>
    json(reply, runtime.diagnostics(containerOf(request)));

  for (const base of [`${ODE_PREFIX}/:containerId`, ODS_PREFIX]) {
    app.get(`${base}/offers`, offers);
    app.get(`${base}/diagnostics`, diagnostics);
    app.post(`${base}/decisions`, decide);
  }
}
