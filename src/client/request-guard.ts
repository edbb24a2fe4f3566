/**
 * The checks every getOffers/sendNotifications call (and so every request of the service) passes
 * before any work is done: bounded nesting, well-formed UTF-16 everywhere, and the types of the
 * fields that later code relies on. A failure is a DecisioningError `ODE_ERR_INVALID_REQUEST`
 * whose `details` say what (`reason`) and where (`path`); the service answers it with a 400.
 *
 * Deliberately narrow: fields the reference tolerates by dropping them (an mbox without a name, a
 * notification without an id, a tntId that is not a string) are still dropped later, not rejected
 * here, so that valid requests decide exactly as the reference decides them.
 */
import { DecisioningError } from "../errors";
import { findBoundsViolation, isWellFormedString, type BoundsViolation } from "../primitives/json-bounds";

/**
 * Deepest nesting accepted in a request (the request object is level 0). Real Delivery requests
 * stay below 8 (`execute.mboxes[0].parameters.x`); 64 leaves room for nested custom data.
 */
export const MAX_REQUEST_DEPTH = 64;

/** Call options that are read as text (cookies, hints, ids). */
const TEXT_OPTIONS = ["sessionId", "targetCookie", "visitorCookie", "targetLocationHint", "consumerId"] as const;
const TEXT_ID_FIELDS = ["tntId", "thirdPartyId", "marketingCloudVisitorId"] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
const isAbsent = (v: unknown): boolean => v === undefined || v === null;

function reject(reason: string, path: string, message: string): never {
  throw new DecisioningError("ODE_ERR_INVALID_REQUEST", message, { details: { reason, path } });
}

function fromViolation(v: BoundsViolation): never {
  return reject(v.reason, v.path, `Invalid request: ${v.message}`);
}

function checkText(value: unknown, path: string): void {
  if (!isAbsent(value) && typeof value !== "string" && typeof value !== "number") {
    reject("type", path, `Invalid request: ${path} must be a string`);
  }
  if (typeof value === "string" && !isWellFormedString(value)) {
    reject("string", path, `Invalid request: ${path} is not well-formed UTF-16 (lone surrogate)`);
  }
}

/**
 * Whether `value` is certainly within the bounds: a recursive pass (at most MAX_REQUEST_DEPTH deep,
 * so the stack is safe) that allocates nothing. It also looks at inherited enumerable keys, so it
 * may answer false for a value the exact walk accepts, never true for one it rejects.
 */
function clearlyWithinBounds(value: unknown, depth: number): boolean {
  if (typeof value === "string") return isWellFormedString(value);
  if (typeof value !== "object" || value === null) {
    return typeof value !== "function" && typeof value !== "symbol" && typeof value !== "bigint";
  }
  if (depth >= MAX_REQUEST_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!clearlyWithinBounds(value[i], depth + 1)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!isWellFormedString(key) || !clearlyWithinBounds(record[key], depth + 1)) return false;
  }
  return true;
}

/**
 * Depth, UTF-16 and JSON types of one data-carrying option (the request, the customer ids). The
 * allocation-free pass clears the usual request; the exact walk finds what and where otherwise.
 */
function checkData(value: unknown, path: string): void {
  if (clearlyWithinBounds(value, 0)) return;
  const violation = findBoundsViolation(value, { maxDepth: MAX_REQUEST_DEPTH, rootPath: path });
  if (violation) fromViolation(violation);
}

function checkVisitorId(id: unknown): void {
  if (isAbsent(id)) return;
  if (!isRecord(id)) reject("type", "$.request.id", "Invalid request: request.id must be an object");
  for (const field of TEXT_ID_FIELDS) checkText(id[field], `$.request.id.${field}`);
  const customerIds = id.customerIds;
  if (isAbsent(customerIds)) return;
  if (!Array.isArray(customerIds)) {
    reject("type", "$.request.id.customerIds", "Invalid request: request.id.customerIds must be an array");
  }
  customerIds.forEach((entry, i) => {
    if (!isRecord(entry)) {
      reject("type", `$.request.id.customerIds[${i}]`, `Invalid request: request.id.customerIds[${i}] must be an object`);
    }
  });
}

function checkObjectField(owner: Record<string, unknown>, key: string, path: string): void {
  const value = owner[key];
  if (!isAbsent(value) && !isRecord(value)) reject("type", `${path}.${key}`, `Invalid request: ${path.slice(2)}.${key} must be an object`);
}

/**
 * Checks getOffers/sendNotifications options (`{request, sessionId, targetCookie, ...}`) before any
 * work. Throws ODE_ERR_INVALID_REQUEST with `details.reason` "depth" | "nodes" | "string" | "type".
 */
export function checkDeliveryInput(options: unknown): void {
  if (!isRecord(options)) return; // the reference-compatible "Options map is required" comes later
  // Only the data is walked: options also carry callbacks and objects such as an ECID Visitor.
  for (const key of TEXT_OPTIONS) checkText(options[key], `$.${key}`);
  checkObjectField(options, "customerIds", "$");
  checkData(options.customerIds, "$.customerIds");
  checkData(options.request, "$.request");
  const request = options.request;
  if (!isRecord(request)) return;
  checkVisitorId(request.id);
  for (const key of ["context", "property", "experienceCloud", "execute", "prefetch"]) {
    checkObjectField(request, key, "$.request");
  }
  if (isRecord(request.context)) {
    for (const key of ["address", "geo", "clientHints", "browser", "screen", "window", "application", "mobilePlatform"]) {
      checkObjectField(request.context, key, "$.request.context");
    }
  }
  checkArray(request, "notifications", "$.request");
  for (const mode of ["execute", "prefetch"]) {
    const part = request[mode];
    if (isRecord(part)) for (const key of ["mboxes", "views"]) checkArray(part, key, `$.request.${mode}`);
  }
}

function checkArray(owner: Record<string, unknown>, key: string, path: string): void {
  if (!isAbsent(owner[key]) && !Array.isArray(owner[key])) {
    reject("type", `${path}.${key}`, `Invalid request: ${path.slice(2)}.${key} must be an array`);
  }
}
