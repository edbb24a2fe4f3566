/**
 * The Delivery API as this project serves it (`odd serve` and the edge Delivery handler): the
 * query parameters it checks, when a request has decisions to make, and the `x-odd-*` response
 * headers that tell how it was decided.
 */
import { DecisioningError } from "../errors";

export const HEADER_METHOD = "x-odd-decisioning-method";
export const HEADER_REMOTE_MBOXES = "x-odd-remote-mboxes";
export const HEADER_REMOTE_VIEWS = "x-odd-remote-views";
export const HEADER_ARTIFACT_VERSION = "x-odd-artifact-version";
export const HEADER_REMOTE_ERROR = "x-odd-remote-error";

const MAX_SESSION_ID_LENGTH = 128;
const SESSION_ID_RE = /^[A-Za-z0-9._:-]+$/;

export interface DeliveryQuery {
  client?: string;
  imsOrgId?: string;
  sessionId?: string;
}

function invalid(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_REQUEST", message);
}

/**
 * Checks the query against the client and organization the endpoint decides for; returns the
 * session id (undefined when absent). Throws ODE_ERR_INVALID_REQUEST.
 */
export function checkDeliveryQuery(query: DeliveryQuery, endpoint: { clientCode: string; organizationId: string }): string | undefined {
  if (query.client !== undefined && query.client !== endpoint.clientCode) {
    throw invalid(`Unknown client "${query.client}"; this endpoint decides for "${endpoint.clientCode}"`);
  }
  if (query.imsOrgId !== undefined && query.imsOrgId !== endpoint.organizationId) {
    throw invalid("imsOrgId does not match the organization this endpoint decides for");
  }
  const sessionId = query.sessionId;
  if (sessionId !== undefined && (sessionId.length > MAX_SESSION_ID_LENGTH || !SESSION_ID_RE.test(sessionId))) {
    throw invalid(`sessionId must be 1-${MAX_SESSION_ID_LENGTH} characters of letters, digits, ".", "_", ":" or "-"`);
  }
  return sessionId;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Is there anything to decide besides notifications (execute or prefetch)? */
export function hasDecisionWork(request: Record<string, unknown>): boolean {
  return isObject(request.execute) || isObject(request.prefetch);
}

/** What the headers report: the `meta` of a getOffers result. */
export interface DecisionMeta {
  decisioningMethod: string;
  remoteMboxes: readonly string[];
  remoteViews: readonly string[];
  artifact?: { version: string };
  remoteError?: { code: string };
}

/** A comma-separated, percent-encoded header value (mbox names may hold any character). */
function listHeader(names: readonly string[]): string {
  return names.map((n) => encodeURIComponent(n)).join(",");
}

/** The `x-odd-*` headers of a decided request. */
export function decisionHeaders(meta: DecisionMeta): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADER_METHOD]: meta.decisioningMethod,
    [HEADER_REMOTE_MBOXES]: listHeader(meta.remoteMboxes),
    [HEADER_REMOTE_VIEWS]: listHeader(meta.remoteViews),
  };
  if (meta.artifact) headers[HEADER_ARTIFACT_VERSION] = encodeURIComponent(meta.artifact.version);
  // Hybrid: the remote part failed and only the local part is answered.
  if (meta.remoteError) headers[HEADER_REMOTE_ERROR] = meta.remoteError.code;
  return headers;
}
