/**
 * Admin API errors. Each is a DecisioningError (code from the catalogue, HTTP status) that carries
 * the Admin API's own wire codes (`errors[].errorCode`, e.g. "Unsupported.Feature"). The HTTP layer
 * renders every one as Target's ErrorResponse: {httpStatus, requestId, requestTime, errors}.
 */
import { DecisioningError, type ErrorCode } from "../errors";

export interface WireError {
  errorCode: string;
  message: string;
  meta?: Record<string, unknown>;
}

export const UNSUPPORTED_FEATURE: WireError = { errorCode: "Unsupported.Feature", message: "Unsupported features detected" };

export function adminError(status: number, code: ErrorCode, errors: WireError[]): DecisioningError {
  return new DecisioningError(code, errors.map((e) => e.message).join("; "), { status, details: { errors } });
}

/** 400 with one wire error; `meta.field` (or other meta) locates the problem. */
export function invalid(errorCode: string, message: string, meta?: Record<string, unknown>): DecisioningError {
  return adminError(400, "ODE_ERR_ADMIN_INVALID", [{ errorCode, message, ...(meta ? { meta } : {}) }]);
}

export function notFound(message: string): DecisioningError {
  return adminError(404, "ODE_ERR_ADMIN_NOT_FOUND", [{ errorCode: "Resource.NotFound", message }]);
}

export function conflict(errorCode: string, message: string, meta?: Record<string, unknown>): DecisioningError {
  return adminError(409, "ODE_ERR_ADMIN_CONFLICT", [{ errorCode, message, ...(meta ? { meta } : {}) }]);
}

/** 406 with exactly Target's documented body; `reason` goes to the error's message (logs) only. */
export function unsupportedVersion(reason: string): DecisioningError {
  const err = adminError(406, "ODE_ERR_ADMIN_UNSUPPORTED_VERSION", [{ ...UNSUPPORTED_FEATURE }]);
  err.message = `${UNSUPPORTED_FEATURE.message}: ${reason}`;
  return err;
}

/** The wire errors of an error raised by this subsystem, or undefined for anything else. */
export function wireErrors(err: unknown): WireError[] | undefined {
  if (!DecisioningError.is(err)) return undefined;
  const errors = err.details?.errors;
  return Array.isArray(errors) ? (errors as WireError[]) : undefined;
}
