/**
 * Error → HTTP mapping. Every error body has the same shape, `{status, code, message}`, with `code`
 * from the library's catalogue (src/errors.ts), so callers of the service match on codes exactly
 * as callers of the library do.
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
  ODE_ERR_REDIRECT_REFUSED: 502,
  ODE_ERR_REMOTE_RESPONSE: 502,
  ODE_ERR_NOTIFICATION_FAILED: 502,
  ODE_ERR_GEO_LOOKUP: 502,
  ODE_ERR_TIMEOUT: 504,
};

const INTERNAL_MESSAGE = "Internal server error";

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

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/**
 * Maps anything thrown while handling a request: DecisioningErrors by code; the framework's
 * request errors (body too large, malformed JSON, bad media type) to 4xx with
 * ODE_ERR_INVALID_REQUEST; everything else to a 500 whose message reveals nothing internal.
 */
export function toHttpError(err: unknown, bodyLimit: number): HttpError {
  if (DecisioningError.is(err)) return fromDecisioningError(err);
  const e = (err ?? {}) as FrameworkError;
  const code = typeof e.code === "string" ? e.code : "";
  const status = typeof e.statusCode === "number" ? e.statusCode : 500;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
    return httpError(
      413,
      "ODE_ERR_INVALID_REQUEST",
      `The request body exceeds the limit of ${bodyLimit} bytes`,
    );
  }
  if (
    code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
    code === "FST_ERR_CTP_EMPTY_JSON_BODY" ||
    err instanceof SyntaxError
  ) {
    return httpError(400, "ODE_ERR_INVALID_REQUEST", "The request body is not valid JSON");
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415) {
    return httpError(415, "ODE_ERR_INVALID_REQUEST", "Unsupported content type; send a JSON body");
  }
  if (status >= 400 && status < 500) {
    const message = typeof e.message === "string" && e.message ? e.message : "Bad request";
    return httpError(status, "ODE_ERR_INVALID_REQUEST", message);
  }
  return httpError(500, "ODE_ERR_INTERNAL", INTERNAL_MESSAGE);
}
