/**
 * The instance representation (envelope + `_instance` + `_links`), receipts and identifiers.
 * The envelope holds repository metadata: `instanceId`, `schemas`, `productContexts`, the integer
 * revision `repo:etag` (1 on create, +1 per change), and who changed the instance and when.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Representation } from "./store/port";

/** Who is calling: from the request headers (x-user-id / x-api-key / x-sandbox-name). */
export interface Caller {
  user: string;
  clientId: string;
  sandboxName?: string;
  /** A "special service" caller may change `meta:usereditable: false` properties (never immutable ones). */
  service: boolean;
}

export interface Stamp {
  etag: number;
  createdMs: number;
  modifiedMs: number;
  createdBy: string;
  createdByClientId: string;
}

export const newInstanceId = (): string => randomUUID();

/** `xcore:{type}:{16 lowercase hex digits}`. */
export const newAtId = (type: string): string => `xcore:${type}:${randomBytes(8).toString("hex")}`;

/** `xcore:tag:1a2b` and `dps:tag:1a2b` name the same instance: the key drops the prefix. */
export const referenceKey = (id: string): string => id.replace(/^(xcore|dps):/, "");

/** Every reference key an instance holds: its strings that look like `xcore:`/`dps:` ids, except its own `@id`. */
export function referenceKeysOf(instance: Record<string, unknown>, strings: readonly string[]): string[] {
  const own = typeof instance["@id"] === "string" ? referenceKey(instance["@id"]) : undefined;
  return [...new Set(strings.filter((s) => /^(xcore|dps):/.test(s)).map(referenceKey))].filter((k) => k !== own);
}

export const isoDate = (ms: number): string => new Date(ms).toISOString();

const ENVELOPE_KEYS = [
  "instanceId",
  "schemas",
  "productContexts",
  "repo:etag",
  "repo:createdDate",
  "repo:lastModifiedDate",
  "repo:createdBy",
  "repo:lastModifiedBy",
  "repo:createdByClientId",
  "repo:lastModifiedByClientId",
] as const;

export interface EnvelopeInput {
  instanceId: string;
  href: string;
  /** Schema id as the client sent it (kept in `schemas`). */
  schema: string;
  productContexts: readonly string[];
  stamp: Stamp;
  caller: Caller;
  sandboxName?: string;
  instance: Record<string, unknown>;
  links: Record<string, unknown>;
}

export function buildRepresentation(input: EnvelopeInput): Representation {
  const { stamp, caller } = input;
  return {
    instanceId: input.instanceId,
    schemas: [input.schema],
    productContexts: [...input.productContexts],
    "repo:etag": stamp.etag,
    "repo:createdDate": isoDate(stamp.createdMs),
    "repo:lastModifiedDate": isoDate(stamp.modifiedMs),
    "repo:createdBy": stamp.createdBy,
    "repo:lastModifiedBy": caller.user,
    "repo:createdByClientId": stamp.createdByClientId,
    "repo:lastModifiedByClientId": caller.clientId,
    ...(input.sandboxName !== undefined ? { sandboxName: input.sandboxName } : {}),
    _instance: input.instance,
    _links: {
      ...input.links,
      self: { name: `${input.schema}#${input.instanceId}`, href: input.href, "@type": input.schema },
    },
  };
}

/** The receipt of a write: ids, revision and the change metadata. */
export function receiptOf(body: Representation): Record<string, unknown> {
  const receipt: Record<string, unknown> = {};
  for (const key of ENVELOPE_KEYS) {
    if (key === "schemas" || key === "productContexts") continue;
    if (body[key] !== undefined) receipt[key] = body[key];
  }
  const instance = body._instance as Record<string, unknown> | undefined;
  if (instance && typeof instance["@id"] === "string") receipt["@id"] = instance["@id"];
  return receipt;
}
