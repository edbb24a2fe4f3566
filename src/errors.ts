/**
 * The one error catalogue of the package. Every error thrown, rejected or emitted by this library
 * is a {@link DecisioningError} whose `code` is one of {@link ERROR_CODES}. Callers match on `code`,
 * never on message text. The README's "Error codes" table documents every code (test/errors.test.ts
 * keeps the table and this catalogue in sync in both directions).
 */
export const ERROR_CODES = {
  ODE_ERR_INVALID_OPTION: "An option passed to TargetClient.create() is missing or invalid.",
  ODE_ERR_INVALID_REQUEST: "The getOffers/sendNotifications options or the Delivery request are invalid.",
  ODE_ERR_NOT_READY: "On-device decisioning was requested but no usable artifact is loaded yet.",
  ODE_ERR_READY_TIMEOUT: "ready({timeout}) elapsed before the client became ready.",
  ODE_ERR_CLOSED: "The client was closed; no further calls are accepted.",
  ODE_ERR_ARTIFACT_PARSE: "The artifact body is not valid JSON (or rules.bin did not decode to JSON).",
  ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED: "The artifact's major version is not 1.",
  ODE_ERR_ARTIFACT_INVALID:
    "The artifact does not have the expected shape (rules, mboxes, views, consequences).",
  ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR: "A rule condition uses a json-logic operator that is not supported.",
  ODE_ERR_ARTIFACT_TOO_LARGE: "The artifact is larger than the configured maximumArtifactSize.",
  ODE_ERR_ARTIFACT_BIN_INVALID: "The rules.bin header or content is invalid.",
  ODE_ERR_ARTIFACT_STALE: "The loaded artifact is older than maximumArtifactAge.",
  ODE_ERR_ARTIFACT_UNAVAILABLE: "The artifact could not be obtained (download, file or source failure).",
  ODE_ERR_ARTIFACT_AUTH:
    "The artifact server answered 401/403: a configuration error (client, environment, token).",
  ODE_ERR_HTTP_STATUS: "An HTTP call answered with an unexpected status.",
  ODE_ERR_NETWORK: "An HTTP call failed before a response arrived.",
  ODE_ERR_TIMEOUT: "An HTTP call or a whole remote call exceeded its timeout.",
  ODE_ERR_ABORTED: "An in-flight call was aborted by close().",
  ODE_ERR_REMOTE_RESPONSE: "The Delivery API answered with a body that is not a valid response.",
  ODE_ERR_NOTIFICATION_FAILED: "A notification batch could not be delivered after all retries.",
  ODE_ERR_GEO_LOOKUP: "The IP-to-geo lookup failed (the decision continues without it).",
  // Offer decisioning (src/offers): PQL rules, decision requests, capping counters.
  ODE_ERR_PQL_SYNTAX: "A PQL expression does not parse; the message names the line and column.",
  ODE_ERR_PQL_UNSUPPORTED:
    'A PQL expression uses a construct outside the supported subset (message says "unsupported").',
  ODE_ERR_PQL_LIMIT: "A PQL expression exceeds a size, nesting or evaluation bound.",
  ODE_ERR_OFFERS_INVALID_REQUEST: "A decision or offers request is malformed (HTTP 400).",
  ODE_ERR_OFFERS_UNPROCESSABLE:
    "A decision request names an unknown or inactive activity or placement, or an itemCount out of range (HTTP 422).",
  ODE_ERR_CAPPING_UNAVAILABLE:
    "The capping counter store could not be reached; capped offers fail closed or open as configured.",
  ODE_ERR_INTERNAL: "An unexpected internal failure; please report it.",
  // Admin API, Batch API and artifact publishing (src/admin, src/publish)
  ODE_ERR_ADMIN_INVALID: "An Admin API request (body, query or path) is invalid; nothing was written (400).",
  ODE_ERR_ADMIN_NOT_FOUND: "The Admin API resource or route does not exist (404).",
  ODE_ERR_ADMIN_CONFLICT: "The Admin API change conflicts with stored data: duplicate thirdPartyId or name, resource still referenced (409).",
  ODE_ERR_ADMIN_UNSUPPORTED_VERSION: "The media type version does not fit the payload or the resource (406 Unsupported.Feature).",
  ODE_ERR_BATCH_INVALID: "A Batch API request is invalid as a whole (limits, ids, dependencies, references); no operation ran (400).",
  ODE_ERR_PUBLISH_FAILED: "Compiling or storing a tenant's artifacts failed; the previously published artifacts stay served.",
  // Storage and the XCore repository (src/storage, src/repository, src/server/auth.ts).
  ODE_ERR_STORE_UNAVAILABLE: "The configured store (SQLite file or PostgreSQL server) cannot be opened or reached.",
  ODE_ERR_UNAUTHORIZED: "A protected API was called without the configured bearer token (401).",
  ODE_ERR_REPO_INVALID_BODY: "The request body is not a JSON object of the expected shape, is too deep, or uses a forbidden key (400).",
  ODE_ERR_REPO_SCHEMA_UNKNOWN: "The write names no schema, or one that is not registered (400).",
  ODE_ERR_REPO_VALIDATION: "The instance does not validate against its schema; `report` lists the violations (400).",
  ODE_ERR_REPO_INVALID_QUERY: "A list/search parameter is invalid: limit, orderBy, start, property filter, regex, qop (400).",
  ODE_ERR_REPO_INVALID_PATCH: "The JSON Patch document is malformed (400).",
  ODE_ERR_REPO_NOT_FOUND: "The container, instance or operation does not exist (404).",
  ODE_ERR_REPO_NOT_ACCEPTABLE: "The Accept header excludes every JSON representation (406).",
  ODE_ERR_REPO_PRECONDITION: "If-Match names an etag other than the current one (409).",
  ODE_ERR_REPO_REFERENCED: "The instance is referenced by other instances and cannot be deleted; `referencedBy` lists them (409).",
  ODE_ERR_REPO_CONTAINER_NOT_EMPTY: "A container that still holds instances cannot be deleted (409).",
  ODE_ERR_REPO_TOO_LARGE: "The request body exceeds the body limit (413).",
  ODE_ERR_REPO_UNSUPPORTED_MEDIA_TYPE: "The request's Content-Type is not a JSON media type this endpoint accepts (415).",
  ODE_ERR_REPO_READ_ONLY_PROPERTY: "A change to a `meta:immutable` or (for users) `meta:usereditable: false` property, or a patch outside `_instance`/`_links` (422).",
  ODE_ERR_REPO_PATCH_FAILED: "The patch cannot be applied (missing target, index out of range, failed test); nothing was changed (422).",
  ODE_ERR_REPO_RULE_VIOLATION: "A cross-entity rule fails: unknown reference, duplicate placement or tag name, missing fallback representation, start after end (422).",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DecisioningErrorOptions {
  cause?: unknown;
  /** HTTP status when the error comes from an HTTP response. */
  status?: number;
  /** true when retrying later may succeed (network, 5xx, timeout). */
  recoverable?: boolean;
  /** Free-form, non-secret details (for example the option name). */
  details?: Record<string, unknown>;
}

const BRAND = Symbol.for("on-device-decisioning.error");

export class DecisioningError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly recoverable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DecisioningErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DecisioningError";
    this.code = code;
    this.status = options.status;
    this.recoverable = options.recoverable ?? false;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static is(value: unknown): value is DecisioningError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Wraps anything thrown into a DecisioningError, keeping the original as `cause`. */
export function toDecisioningError(err: unknown, fallback: ErrorCode = "ODE_ERR_INTERNAL"): DecisioningError {
  if (DecisioningError.is(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DecisioningError(fallback, message, { cause: err });
}
