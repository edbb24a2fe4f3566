/**
 * The Delivery API as a web-standard handler, `(Request, { waitUntil }) → Response`, for edge
 * runtimes: the same endpoint `odd serve` answers (`POST /rest/v1/delivery?client=…&sessionId=…`,
 * a Delivery request in, a Delivery response out), decided on the device from the artifact.
 *
 * Notifications never delay the answer: the ones a decision produces and the ones the caller sends
 * (at.js display/click events) are handed to `waitUntil`; with no waitUntil they are sent in the
 * background of the request, best effort.
 */
import { DecisioningError, toDecisioningError } from "../errors";
import type { DeliveryRequest, DeliveryResponse } from "../protocol/delivery";
import { checkDeliveryQuery, decisionHeaders, hasDecisionWork, HEADER_METHOD } from "../protocol/delivery-service";
import { DELIVERY_PATH } from "../protocol/endpoints";
import { fromDecisioningError, httpError, type HttpError } from "../protocol/error-responses";
import type { ResultMeta } from "../client/result";
import type { WaitUntil } from "./wait-until";

/** Requests larger than this are refused with 413 (default 1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What the handler needs of a client (the edge TargetClient fits). */
export interface DecidingClient {
  getOffers(options: { request: DeliveryRequest; sessionId?: string; waitUntil?: WaitUntil }): Promise<{
    response: DeliveryResponse;
    meta: ResultMeta;
  }>;
  /** Resolves when the notifications were delivered; a validation failure rejects at once. */
  sendNotifications(options: { request: DeliveryRequest; sessionId?: string; waitUntil?: WaitUntil }): Promise<unknown>;
}

export interface DeliveryHandlerOptions {
  client: DecidingClient;
  /** The client code and organization this endpoint decides for (query `client`/`imsOrgId` must match). */
  clientCode: string;
  organizationId: string;
  maxBodyBytes?: number;
}

export interface RequestContext {
  waitUntil?: WaitUntil;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function invalid(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", message);
}

function errorResponse(e: HttpError): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (e.retryAfter !== undefined) headers["retry-after"] = String(e.retryAfter);
  return new Response(JSON.stringify(e.body), { status: e.status, headers });
}

/** Reads at most `limit` bytes of the body as text; more is a 413. */
async function readBody(request: Request, limit: number): Promise<string | HttpError> {
  const declared = Number(request.headers.get("content-length"));
  const tooLarge = () => httpError(413, "ODE_ERR_INVALID_REQUEST", `The request body exceeds the limit of ${limit} bytes`);
  if (Number.isFinite(declared) && declared > limit) return tooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Creates the handler. Requests to other paths or methods get 404/405 with a coded body, so the
 * handler may also be mounted behind a router that only forwards the Delivery path.
 */
export function createDeliveryHandler(o: DeliveryHandlerOptions): (request: Request, ctx?: RequestContext) => Promise<Response> {
  const limit = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (request, ctx = {}) => {
    const url = new URL(request.url);
    if (!url.pathname.endsWith(DELIVERY_PATH)) {
      return errorResponse(httpError(404, "ODE_ERR_INVALID_REQUEST", `No route for ${request.method} ${url.pathname}`));
    }
    if (request.method !== "POST") {
      return errorResponse(httpError(405, "ODE_ERR_INVALID_REQUEST", "The Delivery API accepts POST only"));
    }
    try {
      const q = (key: string) => url.searchParams.get(key) || undefined;
      const sessionId = checkDeliveryQuery({ client: q("client"), imsOrgId: q("imsOrgId"), sessionId: q("sessionId") }, o);
      const text = await readBody(request, limit);
      if (typeof text !== "string") return errorResponse(text);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw invalid("The request body is not valid JSON");
      }
      if (!isObject(body)) throw invalid("The request body must be a JSON object (a Delivery API request)");
      return await decide(o, body, sessionId, ctx.waitUntil);
    } catch (err) {
      return errorResponse(fromDecisioningError(toDecisioningError(err)));
    }
  };
}

/**
 * Rethrows when `promise` is already rejected (the client validates synchronously before it queues
 * anything), else returns at once. Both race entries may be settled: the first one listed wins.
 */
async function rejectedAlready(promise: Promise<unknown>): Promise<void> {
  await Promise.race([promise, Promise.resolve()]);
}

async function decide(
  o: DeliveryHandlerOptions,
  body: Record<string, unknown>,
  sessionId: string | undefined,
  waitUntil: WaitUntil | undefined,
): Promise<Response> {
  const { notifications, ...rest } = body;
  const common = { ...(sessionId !== undefined ? { sessionId } : {}), ...(waitUntil ? { waitUntil } : {}) };
  if (Array.isArray(notifications) && notifications.length > 0) {
    const delivery = o.client.sendNotifications({ request: { ...rest, notifications } as DeliveryRequest, ...common });
    // Invalid notifications: a 400 now. The delivery itself is never awaited: the client hands it to
    // waitUntil, and a failure is reported through the client's sendNotificationError event.
    await rejectedAlready(delivery);
    delivery.catch(() => undefined);
    if (!hasDecisionWork(rest)) {
      return Response.json(
        { status: 200, client: o.clientCode, ...(isObject(rest.id) ? { id: rest.id } : {}) },
        { headers: { [HEADER_METHOD]: "server-side" } },
      );
    }
  }
  const result = await o.client.getOffers({ request: rest as DeliveryRequest, ...common });
  return Response.json(result.response, { headers: decisionHeaders(result.meta) });
}
