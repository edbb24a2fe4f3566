/**
 * The decision index's view of each offer-management entity: only what decisions and responses
 * need, read once from the instance when it changes. Eligibility rules are compiled here.
 */
import { toDecisioningError } from "../../errors";
import {
  entityTypeOf,
  instant,
  isObject,
  positiveInt,
  str,
  strings,
  type CatalogInstance,
  type EntityType,
} from "./catalog";
import { compilePql, type CompiledPql } from "./pql";

interface Base {
  id: string;
  instanceId: string;
  etag: number;
  name: string | undefined;
}

export interface OfferEntry extends Base {
  type: "personalized-offer" | "fallback-offer";
  status: string | undefined;
  priority: number;
  tags: readonly string[];
  /** Representation by placement @id: its components. */
  representations: ReadonlyMap<string, readonly Record<string, unknown>[]>;
  startMs: number | undefined;
  endMs: number | undefined;
  ruleId: string | undefined;
  globalCap: number | undefined;
  profileCap: number | undefined;
  characteristics: Record<string, unknown> | undefined;
}

export interface RuleEntry extends Base {
  type: "eligibility-rule";
  compiled: CompiledPql | undefined;
  error: string | undefined;
}

export interface PlacementEntry extends Base {
  type: "offer-placement";
  channel: string | undefined;
  componentType: string | undefined;
}

export interface FilterEntry extends Base {
  type: "offer-filter";
  filterType: string | undefined;
  ids: ReadonlySet<string>;
}

export interface TagEntry extends Base {
  type: "tag";
}

/** One criterion: the placements it serves, the filter of its offers and an optional extra rule. */
export interface Criterion {
  placements: readonly string[];
  filterId: string | undefined;
  ruleId: string | undefined;
}

export interface ActivityEntry extends Base {
  type: "offer-activity";
  status: string | undefined;
  startMs: number | undefined;
  endMs: number | undefined;
  criteria: readonly Criterion[];
  /** Every placement the criteria serve, in order of first appearance. */
  placements: readonly string[];
  fallbackId: string | undefined;
}

export type Entry = OfferEntry | RuleEntry | PlacementEntry | FilterEntry | TagEntry | ActivityEntry;

function base(instance: CatalogInstance): Base | undefined {
  const id = str(instance._instance["@id"]);
  if (!id) return undefined;
  const etag = instance["repo:etag"];
  return {
    id,
    instanceId: instance.instanceId,
    etag: typeof etag === "number" ? etag : Number(etag) || 0,
    name: str(instance._instance["xdm:name"]),
  };
}

function readRepresentations(v: unknown): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  if (!Array.isArray(v)) return out;
  for (const rep of v) {
    if (!isObject(rep)) continue;
    const placement = str(rep["xdm:placement"]);
    if (!placement || out.has(placement)) continue;
    out.set(placement, Array.isArray(rep["xdm:components"]) ? rep["xdm:components"].filter(isObject) : []);
  }
  return out;
}

function readOffer(b: Base, type: OfferEntry["type"], i: Record<string, unknown>): OfferEntry {
  const rank = isObject(i["xdm:rank"]) ? i["xdm:rank"] : {};
  const selection = isObject(i["xdm:selectionConstraint"]) ? i["xdm:selectionConstraint"] : {};
  const capping = isObject(i["xdm:cappingConstraint"]) ? i["xdm:cappingConstraint"] : {};
  const priority = rank["xdm:priority"];
  const characteristics = i["xdm:characteristics"] ?? i["xdm:customMetadata"];
  // Every field named in the literal (no spread): V8 then keeps them all inside the object, so a
  // decision reading an offer touches one object instead of the object and a property array.
  return {
    id: b.id,
    instanceId: b.instanceId,
    etag: b.etag,
    name: b.name,
    type,
    status: str(i["xdm:status"]),
    priority: typeof priority === "number" && Number.isFinite(priority) ? priority : 0,
    tags: strings(i["xdm:tags"]),
    representations: readRepresentations(i["xdm:representations"]),
    startMs: instant(selection["xdm:startDate"]),
    endMs: instant(selection["xdm:endDate"]),
    ruleId: str(selection["xdm:eligibilityRule"]),
    globalCap: positiveInt(capping["xdm:globalCap"] ?? capping["xdm:volume"]),
    profileCap: positiveInt(capping["xdm:profileCap"] ?? capping["xdm:frequency"]),
    characteristics: isObject(characteristics) ? characteristics : undefined,
  };
}

function readRule(b: Base, i: Record<string, unknown>): RuleEntry {
  const condition = isObject(i["xdm:condition"]) ? i["xdm:condition"] : {};
  const text = condition["xdm:value"];
  if (typeof text !== "string") {
    const form = isObject(text)
      ? "the XDM AST form of rules is unsupported"
      : "no PQL text in xdm:condition.xdm:value";
    return { ...b, type: "eligibility-rule", compiled: undefined, error: form };
  }
  try {
    return { ...b, type: "eligibility-rule", compiled: compilePql(text), error: undefined };
  } catch (err) {
    return { ...b, type: "eligibility-rule", compiled: undefined, error: toDecisioningError(err).message };
  }
}

function readCriteria(i: Record<string, unknown>): Criterion[] {
  if (Array.isArray(i["xdm:criteria"])) {
    return i["xdm:criteria"].filter(isObject).map((c) => {
      const selection = isObject(c["xdm:optionSelection"]) ? c["xdm:optionSelection"] : {};
      return {
        placements: strings(c["xdm:placements"]),
        filterId: str(selection["xdm:filter"]),
        ruleId: str(selection["xdm:eligibilityRule"]),
      };
    });
  }
  const placement = str(i["xdm:placement"]);
  return [{ placements: placement ? [placement] : [], filterId: str(i["xdm:filter"]), ruleId: undefined }];
}

function readActivity(b: Base, i: Record<string, unknown>): ActivityEntry {
  const criteria = readCriteria(i);
  return {
    ...b,
    type: "offer-activity",
    status: str(i["xdm:status"]),
    startMs: instant(i["xdm:startDate"]),
    endMs: instant(i["xdm:endDate"]),
    criteria,
    placements: [...new Set(criteria.flatMap((c) => c.placements))],
    fallbackId: str(i["xdm:fallback"]),
  };
}

function readEntity(type: EntityType, b: Base, i: Record<string, unknown>): Entry {
  switch (type) {
    case "personalized-offer":
    case "fallback-offer":
      return readOffer(b, type, i);
    case "eligibility-rule":
      return readRule(b, i);
    case "offer-placement":
      return { ...b, type, channel: str(i["xdm:channel"]), componentType: str(i["xdm:componentType"]) };
    case "offer-filter":
      return { ...b, type, filterType: str(i["xdm:filterType"]), ids: new Set(strings(i["ids"])) };
    case "tag":
      return { ...b, type };
    case "offer-activity":
      return readActivity(b, i);
  }
}

/** The index entry of an instance; undefined for other schemas or instances without `@id`. */
export function readEntry(instance: CatalogInstance): Entry | undefined {
  const type = entityTypeOf(instance.schemas);
  const b = isObject(instance._instance) ? base(instance) : undefined;
  return type && b ? readEntity(type, b, instance._instance) : undefined;
}
