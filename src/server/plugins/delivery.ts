/**
 * The Delivery API plugin: `POST /rest/v1/delivery` decided by a TargetClient. Notifications in the
 * body are forwarded through the client's queue; the decision's method, remote parts and artifact
 * version are reported in `x-odd-*` response headers.
 */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { DecisioningMethod, GetOffersResult, TargetClient } from "../../client";
import { checkDeliveryInput } from "../../client/request-guard";
import { DecisioningError, toDecisioningError } from "../../errors";
import type { DeliveryRequest } from "../../protocol/delivery";
import {
  checkDeliveryQuery,
  decisionHeaders,
  hasDecisionWork,
  HEADER_ARTIFACT_VERSION,
  HEADER_METHOD,
  HEADER_REMOTE_ERROR,
  HEADER_REMOTE_MBOXES,
  HEADER_REMOTE_VIEWS,
} from "../../protocol/delivery-service";
import { DELIVERY_PATH } from "../../protocol/endpoints";
import type { DecisionOutcome, ServiceMetrics } from "../metrics";

export type DecisionClient = Pick<TargetClient, "getOffers" | "sendNotifications" | "status">;

export interface DeliveryPluginOptions {
  client: DecisionClient;
  /** The client code and organization this service decides for (query `client`/`imsOrgId` must match). */
  clientCode: string;
  organizationId: string;
  metrics: ServiceMetrics;
}

export { HEADER_ARTIFACT_VERSION, HEADER_METHOD, HEADER_REMOTE_ERROR, HEADER_REMOTE_MBOXES, HEADER_REMOTE_VIEWS };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function queryString(query: unknown, key: string): string | undefined {
  const value = isObject(query) ? query[key] : undefined;
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Checks the query (client, imsOrgId, sessionId) and the body; returns the session id, if any. */
function checkRequest(o: DeliveryPluginOptions, query: unknown, body: unknown): string | undefined {
  const sessionId = checkDeliveryQuery(
    { client: queryString(query, "client"), imsOrgId: queryString(query, "imsOrgId"), sessionId: queryString(query, "sessionId") },
    o,
  );
  if (!isObject(body))
    throw new DecisioningError("ODE_ERR_INVALID_REQUEST", "The request body must be a JSON object (a Delivery API request)");
  // The whole body (decision part and notifications) is checked before any work: a bad
  // notification must not be answered 400 after the decision's impressions were queued.
  checkDeliveryInput({ request: body, ...(sessionId !== undefined ? { sessionId } : {}) });
  return sessionId;
}

/**
 * How long a decision waits for its request's notifications to be forwarded. The service's queue
 * keeps them until they are delivered (it never drops them), so while the upstream is down the
 * decision is answered after this wait with ODE_ERR_TIMEOUT in x-odd-remote-error.
 */
const FORWARDING_WAIT_MS = 2_000;

/** How forwarding the notifications of a request with a decision ended: undefined when delivered. */
async function failureOf(forwarding: Promise<unknown>): Promise<DecisioningError | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<DecisioningError>((resolve) => {
    timer = setTimeout(
      () => resolve(new DecisioningError("ODE_ERR_TIMEOUT", "The notifications are queued for delivery; the upstream has not taken them yet")),
      FORWARDING_WAIT_MS,
    );
  });
  try {
    return await Promise.race([forwarding.then(() => undefined), waited]);
  } catch (err) {
    return toDecisioningError(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts the decision (and its remote call) in the metrics. */
function countDecision(metrics: ServiceMetrics, meta: GetOffersResult["meta"], seconds: number): void {
  const outcome: DecisionOutcome = meta.remoteError ? "partial" : "ok";
  metrics.decision(meta.decisioningMethod, outcome, seconds);
  const wentRemote =
    meta.decisioningMethod === "server-side" ||
    (meta.decisioningMethod === "hybrid" && (meta.remoteMboxes.length > 0 || meta.remoteViews.length > 0));
  if (wentRemote) metrics.remoteCall(meta.remoteError ? "error" : "ok");
}

function setDecisionHeaders(reply: FastifyReply, meta: GetOffersResult["meta"], forwardingError?: DecisioningError): void {
  reply.headers(decisionHeaders(meta));
  // Forwarding the request's notifications failed: the decision is answered anyway. Its
  // impressions are queued already; a 502 would make the caller retry and count them twice.
  if (!meta.remoteError && forwardingError) reply.header(HEADER_REMOTE_ERROR, forwardingError.code);
}

/** The body's notifications and the rest; the rest is copied only when there are notifications. */
function splitNotifications(body: Record<string, unknown>): { notifications: unknown; rest: Record<string, unknown> } {
  if (!Object.hasOwn(body, "notifications")) return { notifications: undefined, rest: body };
  const { notifications, ...rest } = body;
  return { notifications, rest };
}

async function decideRequest(
  o: DeliveryPluginOptions,
  body: Record<string, unknown>,
  sessionId: string | undefined,
  reply: FastifyReply,
) {
  const { client, metrics } = o;
  const { notifications, rest } = splitNotifications(body);
  const withSession = sessionId !== undefined ? { sessionId } : {};
  // Notifications (e.g. at.js click and display events) are forwarded through the client's queue.
  const forwarding =
    Array.isArray(notifications) && notifications.length > 0
      ? client.sendNotifications({ request: { ...rest, notifications } as DeliveryRequest, ...withSession })
      : undefined;
  if (forwarding && !hasDecisionWork(rest)) {
    const result = await forwarding;
    reply.header(HEADER_METHOD, "server-side");
    return { ...result.response, status: 200, client: o.clientCode };
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
  countDecision(metrics, result.meta, (performance.now() - started) / 1000);
  const forwardingError = forwarding ? await failureOf(forwarding) : undefined;
  setDecisionHeaders(reply, result.meta, forwardingError);
  return result.response;
}

export const deliveryPlugin: FastifyPluginAsync<DeliveryPluginOptions> = async (app, o) => {
  app.post(DELIVERY_PATH, async (request, reply) => {
    const sessionId = checkRequest(o, request.query, request.body);
    o.metrics.inFlight(1);
    try {
      return await decideRequest(o, request.body as Record<string, unknown>, sessionId, reply);
    } finally {
      o.metrics.inFlight(-1);
    }
  });
};
