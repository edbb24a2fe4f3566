/**
 * Decision requests: both wire versions (1.0 with `xdm:propositionRequests` and `xdm:profiles`;
 * 0.9 with `xdm:offerActivities` and a top-level identity map) read into one normalized request.
 * Structural problems are 400 (`ODE_ERR_OFFERS_INVALID_REQUEST`); values out of range are 422
 * (`ODE_ERR_OFFERS_UNPROCESSABLE`). Unknown activities and placements are checked later, against
 * the index.
 */
import { DecisioningError } from "../../errors";
import { isObject } from "./catalog";

export const MAX_PROPOSITION_REQUESTS = 30;
export const MAX_ITEM_COUNT = 30;
const MAX_IDENTITY_LENGTH = 1024;
const MAX_CONTEXT_ITEMS = 100;

export interface PropositionRequest {
  activityId: string;
  /** Absent in 0.9 requests: the activity's own placement is used. */
  placementId: string | undefined;
  itemCount: number;
}

export interface ResponseMetadata {
  activity: ReadonlySet<string>;
  option: ReadonlySet<string>;
  placement: ReadonlySet<string>;
}

export interface DecisionRequest {
  version: "1.0" | "0.9";
  propositions: PropositionRequest[];
  /** `{namespace}:{id}` of the primary identity: the profile and per-profile capping key. */
  profileKey: string;
  decisionRequestId: string | undefined;
  context: unknown[];
  acrossActivities: boolean;
  acrossPlacements: boolean;
  includeContent: boolean;
  metadata: ResponseMetadata;
  dryRun: boolean;
  language: string | undefined;
}

export function badRequest(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_OFFERS_INVALID_REQUEST", message, { status: 400 });
}

export function unprocessable(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_OFFERS_UNPROCESSABLE", message, { status: 422 });
}

function optionalBoolean(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw badRequest(`${name} must be a boolean`);
  return v;
}

function requiredString(v: unknown, name: string): string {
  if (typeof v !== "string" || v === "") throw badRequest(`${name} must be a non-empty string`);
  if (v.length > MAX_IDENTITY_LENGTH)
    throw badRequest(`${name} is longer than ${MAX_IDENTITY_LENGTH} characters`);
  return v;
}

function itemCount(v: unknown, where: string): number {
  if (v === undefined) return 1;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw badRequest(`${where}.xdm:itemCount must be a number`);
  if (!Number.isInteger(v) || v < 1 || v > MAX_ITEM_COUNT) {
    throw unprocessable(`${where}.xdm:itemCount must be an integer from 1 to ${MAX_ITEM_COUNT}, got ${v}`);
  }
  return v;
}

function propositionList(list: unknown, name: string): unknown[] {
  if (!Array.isArray(list) || list.length === 0) throw badRequest(`${name} must be a non-empty array`);
  if (list.length > MAX_PROPOSITION_REQUESTS) {
    throw unprocessable(
      `${name} has ${list.length} entries; at most ${MAX_PROPOSITION_REQUESTS} are allowed`,
    );
  }
  return list;
}

/** The primary identity (flagged `primary`, else the first id of the first namespace). */
export function primaryIdentity(identityMap: unknown, name = "xdm:identityMap"): string {
  if (!isObject(identityMap)) throw badRequest(`${name} must be an object`);
  let first: string | undefined;
  for (const [namespace, ids] of Object.entries(identityMap)) {
    if (!Array.isArray(ids)) throw badRequest(`${name}.${namespace} must be an array`);
    for (const [i, identity] of ids.entries()) {
      if (!isObject(identity)) throw badRequest(`${name}.${namespace}[${i}] must be an object`);
      const id = requiredString(identity["xdm:id"] ?? identity["id"], `${name}.${namespace}[${i}].xdm:id`);
      const key = `${namespace}:${id}`;
      if (identity["primary"] === true || identity["xdm:primary"] === true) return key;
      first ??= key;
    }
  }
  if (first === undefined) throw badRequest(`${name} holds no identity`);
  return first;
}

function contextItems(v: unknown, validate: boolean): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest("xdm:contextData must be an array");
  if (v.length > MAX_CONTEXT_ITEMS)
    throw badRequest(`xdm:contextData has more than ${MAX_CONTEXT_ITEMS} items`);
  if (validate) {
    v.forEach((item, i) => {
      if (!isObject(item) || typeof item["@type"] !== "string" || !isObject(item["xdm:data"])) {
        throw badRequest(`xdm:contextData[${i}] must be {"@type": string, "xdm:data": object}`);
      }
    });
  }
  return v;
}

function names(v: unknown, where: string): Set<string> {
  if (v === undefined || v === null) return new Set();
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw badRequest(`${where} must be an array of strings`);
  return new Set(v as string[]);
}

function responseFormat(v: unknown): { includeContent: boolean; metadata: ResponseMetadata } {
  if (v === undefined || v === null)
    return {
      includeContent: false,
      metadata: { activity: new Set(), option: new Set(), placement: new Set() },
    };
  if (!isObject(v)) throw badRequest("xdm:responseFormat must be an object");
  const meta = v["xdm:includeMetadata"] ?? {};
  if (!isObject(meta)) throw badRequest("xdm:responseFormat.xdm:includeMetadata must be an object");
  return {
    includeContent: optionalBoolean(v["xdm:includeContent"], "xdm:includeContent", false),
    metadata: {
      activity: names(meta["xdm:activity"], "xdm:includeMetadata.xdm:activity"),
      option: names(meta["xdm:option"], "xdm:includeMetadata.xdm:option"),
      placement: names(meta["xdm:placement"], "xdm:includeMetadata.xdm:placement"),
    },
  };
}

function duplicates(v: unknown): { acrossActivities: boolean; acrossPlacements: boolean } {
  if (v === undefined || v === null) return { acrossActivities: false, acrossPlacements: false };
  if (!isObject(v)) throw badRequest("xdm:allowDuplicatePropositions must be an object");
  return {
    acrossActivities: optionalBoolean(v["xdm:acrossActivities"], "xdm:acrossActivities", false),
    acrossPlacements: optionalBoolean(v["xdm:acrossPlacements"], "xdm:acrossPlacements", false),
  };
}

function languageOf(...candidates: unknown[]): string | undefined {
  for (const c of candidates) if (typeof c === "string" && c !== "") return c;
  return undefined;
}

function contextLanguage(context: unknown[]): string | undefined {
  for (const item of context) {
    const data = isObject(item) ? item["xdm:data"] : undefined;
    if (isObject(data)) {
      const language = languageOf(data["xdm:language"], data["language"]);
      if (language) return language;
    }
  }
  return undefined;
}

function optionalId(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length > MAX_IDENTITY_LENGTH)
    throw badRequest("xdm:decisionRequestId must be a string");
  return v;
}

function parseV1(body: Record<string, unknown>): DecisionRequest {
  const propositions = propositionList(body["xdm:propositionRequests"], "xdm:propositionRequests").map(
    (p, i) => {
      const where = `xdm:propositionRequests[${i}]`;
      if (!isObject(p)) throw badRequest(`${where} must be an object`);
      return {
        activityId: requiredString(p["xdm:activityId"], `${where}.xdm:activityId`),
        placementId: requiredString(p["xdm:placementId"], `${where}.xdm:placementId`),
        itemCount: itemCount(p["xdm:itemCount"], where),
      };
    },
  );
  const profiles = body["xdm:profiles"];
  if (!Array.isArray(profiles) || profiles.length !== 1 || !isObject(profiles[0])) {
    throw badRequest("xdm:profiles must hold exactly one profile object");
  }
  const profile = profiles[0];
  const validate = optionalBoolean(body["xdm:validateContextData"], "xdm:validateContextData", false);
  const context = contextItems(profile["xdm:contextData"], validate);
  return {
    version: "1.0",
    propositions,
    profileKey: primaryIdentity(profile["xdm:identityMap"], "xdm:profiles[0].xdm:identityMap"),
    decisionRequestId: optionalId(profile["xdm:decisionRequestId"] ?? body["xdm:decisionRequestId"]),
    context,
    ...duplicates(body["xdm:allowDuplicatePropositions"]),
    ...responseFormat(body["xdm:responseFormat"]),
    dryRun: optionalBoolean(body["xdm:dryRun"], "xdm:dryRun", false),
    language: languageOf(body["xdm:language"], profile["xdm:language"]) ?? contextLanguage(context),
  };
}

function parseV09(body: Record<string, unknown>): DecisionRequest {
  const propositions = propositionList(body["xdm:offerActivities"], "xdm:offerActivities").map((a, i) => {
    const where = `xdm:offerActivities[${i}]`;
    if (!isObject(a)) throw badRequest(`${where} must be an object`);
    return {
      activityId: requiredString(a["xdm:offerActivity"], `${where}.xdm:offerActivity`),
      placementId:
        a["xdm:offerPlacement"] === undefined
          ? undefined
          : requiredString(a["xdm:offerPlacement"], `${where}.xdm:offerPlacement`),
      itemCount: itemCount(a["xdm:itemCount"], where),
    };
  });
  const validate = optionalBoolean(body["xdm:validateContextData"], "xdm:validateContextData", false);
  const context = contextItems(body["xdm:contextData"], validate);
  return {
    version: "0.9",
    propositions,
    profileKey: primaryIdentity(body["xdm:identityMap"]),
    decisionRequestId: optionalId(body["xdm:decisionRequestId"]),
    context,
    ...duplicates(body["xdm:allowDuplicatePropositions"]),
    ...responseFormat(body["xdm:responseFormat"]),
    dryRun: optionalBoolean(body["xdm:dryRun"], "xdm:dryRun", false),
    language: languageOf(body["xdm:language"]) ?? contextLanguage(context),
  };
}

/** Reads a decision request body of either version; throws a coded 400 or 422. */
export function parseDecisionRequest(body: unknown): DecisionRequest {
  if (!isObject(body)) throw badRequest("the decision request must be a JSON object");
  if (body["xdm:propositionRequests"] !== undefined) return parseV1(body);
  if (body["xdm:offerActivities"] !== undefined) return parseV09(body);
  throw badRequest("the decision request needs xdm:propositionRequests (1.0) or xdm:offerActivities (0.9)");
}
