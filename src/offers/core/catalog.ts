/**
 * The input of the decision index: repository instances as the repository stores them (envelope
 * + `_instance`), and the reading of the offer-management entities out of them. Everything here
 * is tolerant: a malformed instance is read as far as it goes and the problem is reported as a
 * diagnostic, never thrown, because stored data may predate today's validation.
 */

export const OFFER_SCHEMA_PREFIX = "https://ns.adobe.com/experience/offer-management/";

export type EntityType =
  | "personalized-offer"
  | "fallback-offer"
  | "offer-placement"
  | "eligibility-rule"
  | "tag"
  | "offer-filter"
  | "offer-activity";

const ENTITY_TYPES = new Set<string>([
  "personalized-offer",
  "fallback-offer",
  "offer-placement",
  "eligibility-rule",
  "tag",
  "offer-filter",
  "offer-activity",
]);

/** One repository instance (the shape of a read or list item of the repository API). */
export interface CatalogInstance {
  instanceId: string;
  schemas: readonly string[];
  "repo:etag": number;
  _instance: Record<string, unknown>;
}

/** All instances of one container at one moment. */
export interface CatalogSnapshot {
  containerId: string;
  instances: readonly CatalogInstance[];
}

/** The offer-management entity type of an instance, from its schema ids (version suffix ignored). */
export function entityTypeOf(schemas: readonly string[]): EntityType | undefined {
  for (const schema of schemas) {
    const id = schema.split(";")[0]!.trim();
    if (!id.startsWith(OFFER_SCHEMA_PREFIX)) continue;
    const name = id.slice(OFFER_SCHEMA_PREFIX.length);
    if (ENTITY_TYPES.has(name)) return name as EntityType;
  }
  return undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** An RFC 3339 date-time as epoch ms; undefined when absent or unparseable. */
export function instant(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A positive integer (caps), else undefined. */
export function positiveInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : undefined;
}
