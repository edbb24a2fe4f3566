/**
 * Error → HTTP mapping of this project's HTTP endpoints (the service and the edge Delivery
 * handler): every error body has the same shape, `{status, code, message}`, with `code` from the
 * library's catalogue (src/errors.ts), so callers of an endpoint match on codes exactly as callers
 * of the library do.
 */
import { DecisioningError, type ErrorCode } from "../errors";

export interface ErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Seconds for a Retry-After header (temporary unavailability). */
  retryAfter?: number;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ODE_ERR_INVALID_REQUEST: 400,
  ODE_ERR_NOT_READY: 503,
  ODE_ERR_READY_TIMEOUT: 503,
  ODE_ERR_CLOSED: 503,
  ODE_ERR_ABORTED: 503,
  ODE_ERR_ARTIFACT_STALE: 503,
  ODE_ERR_NETWORK: 502,
  ODE_ERR_HTTP_STATUS: 502,
  ODE_ERR_REMOTE_RESPONSE: 502,
  ODE_ERR_NOTIFICATION_FAILED: 502,
  ODE_ERR_GEO_LOOKUP: 502,
  ODE_ERR_REDIRECT_REFUSED: 502,
  ODE_ERR_TIMEOUT: 504,
};

export const INTERNAL_MESSAGE = "Internal server error";

const RETRY_AFTER: Partial<Record<ErrorCode, number>> = {
  ODE_ERR_NOT_READY: 1,
  ODE_ERR_READY_TIMEOUT: 1,
  ODE_ERR_ARTIFACT_STALE: 5,
  ODE_ERR_CLOSED: 5,
  ODE_ERR_ABORTED: 5,
};

/**
 * The HTTP status for a DecisioningError. An upstream 400 stays a 400 (the caller's request was
 * invalid); any other upstream status is a bad gateway. Unlisted codes (artifact, option, internal)
 * are server-side faults: 500.
 */
export function statusForError(err: DecisioningError): number {
  if (err.code === "ODE_ERR_HTTP_STATUS" && err.status === 400) return 400;
  return STATUS_BY_CODE[err.code] ?? 500;
}

export function httpError(status: number, code: ErrorCode, message: string, retryAfter?: number): HttpError {
  return { status, body: { status, code, message }, ...(retryAfter !== undefined ? { retryAfter } : {}) };
}

export function fromDecisioningError(err: DecisioningError): HttpError {
  // An internal failure's message may describe internals: it goes to the log, not to the caller.
  const message = err.code === "ODE_ERR_INTERNAL" ? INTERNAL_MESSAGE : err.message;
  return httpError(statusForError(err), err.code, message, RETRY_AFTER[err.code]);
}
