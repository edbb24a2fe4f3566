/**
 * Error → HTTP mapping of the service: the shared mapping (src/protocol/error-responses.ts) plus
 * the framework's own request errors.
 */
import { DecisioningError } from "../errors";
import { fromDecisioningError, httpError, INTERNAL_MESSAGE, type HttpError } from "../protocol/error-responses";

export { fromDecisioningError, httpError, statusForError } from "../protocol/error-responses";
export type { ErrorBody, HttpError } from "../protocol/error-responses";

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
