/**
 * Cross-entity rules, checked on create, PUT and PATCH after schema validation (violations → 422):
 * references name existing instances of the expected schema in the same container (`xcore:` and
 * `dps:` prefixes are interchangeable), one representation per placement, an activity's fallback
 * has a representation for each of its placements, start ≤ end, tag names are unique.
 */
import { isPlainObject } from "./json-body";
import type { ReportEntry } from "./problem";
import type { SchemaRegistry } from "./registry";
import {
  ELIGIBILITY_RULE,
  FALLBACK_OFFER,
  OFFER_ACTIVITY,
  OFFER_FILTER,
  OFFER_PLACEMENT,
  PERSONALIZED_OFFER,
  TAG,
} from "./schemas/offer-management";
import { referenceKey } from "./envelope";
import type { InstanceRecord, StoreReader } from "./store/port";

interface Reference {
  path: string;
  id: string;
  expected: readonly string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const OFFERS = [PERSONALIZED_OFFER, FALLBACK_OFFER];

function offerReferences(instance: Obj): Reference[] {
  const refs: Reference[] = [];
  list(instance["xdm:representations"]).forEach((r, i) => {
    const id = str(obj(r)["xdm:placement"]);
    if (id) refs.push({ path: `/_instance/xdm:representations/${i}/xdm:placement`, id, expected: [OFFER_PLACEMENT] });
  });
  list(instance["xdm:tags"]).forEach((t, i) => {
    if (typeof t === "string") refs.push({ path: `/_instance/xdm:tags/${i}`, id: t, expected: [TAG] });
  });
  const rule = str(obj(instance["xdm:selectionConstraint"])["xdm:eligibilityRule"]);
  if (rule) refs.push({ path: "/_instance/xdm:selectionConstraint/xdm:eligibilityRule", id: rule, expected: [ELIGIBILITY_RULE] });
  return refs;
}

function filterReferences(instance: Obj): Reference[] {
  const expected = instance["xdm:filterType"] === "offers" ? OFFERS : [TAG];
  return list(instance.ids).flatMap((id, i) => (typeof id === "string" ? [{ path: `/_instance/ids/${i}`, id, expected }] : []));
}

function activityReferences(instance: Obj): Reference[] {
  const refs: Reference[] = [];
  const add = (path: string, value: unknown, expected: string) => {
    if (typeof value === "string") refs.push({ path, id: value, expected: [expected] });
  };
  add("/_instance/xdm:placement", instance["xdm:placement"], OFFER_PLACEMENT);
  add("/_instance/xdm:filter", instance["xdm:filter"], OFFER_FILTER);
  add("/_instance/xdm:fallback", instance["xdm:fallback"], FALLBACK_OFFER);
  list(instance["xdm:criteria"]).forEach((c, i) => {
    const base = `/_instance/xdm:criteria/${i}`;
    list(obj(c)["xdm:placements"]).forEach((p, j) => add(`${base}/xdm:placements/${j}`, p, OFFER_PLACEMENT));
    const selection = obj(obj(c)["xdm:optionSelection"]);
    add(`${base}/xdm:optionSelection/xdm:filter`, selection["xdm:filter"], OFFER_FILTER);
    add(`${base}/xdm:optionSelection/xdm:eligibilityRule`, selection["xdm:eligibilityRule"], ELIGIBILITY_RULE);
  });
  return refs;
}

/** The placements of an activity in either form. */
export function activityPlacements(instance: Obj): string[] {
  const simple = str(instance["xdm:placement"]);
  const criteria = list(instance["xdm:criteria"]).flatMap((c) => list(obj(c)["xdm:placements"]).filter((p): p is string => typeof p === "string"));
  return [...(simple ? [simple] : []), ...criteria];
}

function dateOrder(instance: Obj, path: string, report: ReportEntry[]): void {
  const start = str(instance["xdm:startDate"]);
  const end = str(instance["xdm:endDate"]);
  if (start && end && Date.parse(start) > Date.parse(end)) {
    report.push({ path: `${path}/xdm:endDate`, message: "endDate is before startDate" });
  }
}

function duplicatePlacements(instance: Obj, report: ReportEntry[]): void {
  const seen = new Set<string>();
  list(instance["xdm:representations"]).forEach((r, i) => {
    const placement = str(obj(r)["xdm:placement"]);
    if (placement === undefined) return;
    const key = referenceKey(placement);
    if (seen.has(key)) report.push({ path: `/_instance/xdm:representations/${i}/xdm:placement`, message: `a second representation for placement ${placement}` });
    seen.add(key);
  });
}

export interface RuleContext {
  registry: SchemaRegistry;
  reader: StoreReader;
  containerId: string;
  instanceId: string;
  /** Canonical ids of the schemas the instance belongs to. */
  memberships: readonly string[];
}

async function resolveReferences(ctx: RuleContext, refs: Reference[], report: ReportEntry[]): Promise<Map<string, InstanceRecord>> {
  const found = await ctx.reader.findByAtKeys(ctx.containerId, refs.map((r) => referenceKey(r.id)));
  const byKey = new Map(found.map((r) => [referenceKey(r.atId ?? ""), r]));
  for (const ref of refs) {
    const target = byKey.get(referenceKey(ref.id));
    if (!target || target.instanceId === ctx.instanceId) report.push({ path: ref.path, message: `${ref.id} does not exist in this container` });
    else if (!ref.expected.some((s) => ctx.registry.isA(target.schemaId, s))) {
      report.push({ path: ref.path, message: `${ref.id} is a ${target.schemaId}, expected ${ref.expected.join(" or ")}` });
    }
  }
  return byKey;
}

async function fallbackCoversPlacements(instance: Obj, byKey: Map<string, InstanceRecord>, report: ReportEntry[]): Promise<void> {
  const fallbackId = str(instance["xdm:fallback"]);
  const fallback = fallbackId ? byKey.get(referenceKey(fallbackId)) : undefined;
  if (!fallback) return;
  const covered = new Set(
    list(obj(fallback.body._instance)["xdm:representations"]).map((r) => referenceKey(str(obj(r)["xdm:placement"]) ?? "")),
  );
  for (const placement of activityPlacements(instance)) {
    if (!covered.has(referenceKey(placement))) {
      report.push({ path: "/_instance/xdm:fallback", message: `the fallback offer has no representation for placement ${placement}` });
    }
  }
}

async function tagNameUnique(ctx: RuleContext, instance: Obj, report: ReportEntry[]): Promise<void> {
  const name = str(instance["xdm:name"]);
  if (name === undefined) return;
  let duplicate = false;
  await ctx.reader.scan({ containerId: ctx.containerId, schemaId: TAG }, (batch) => {
    duplicate = batch.some((r) => r.instanceId !== ctx.instanceId && obj(r.body._instance)["xdm:name"] === name);
    return !duplicate;
  });
  if (duplicate) report.push({ path: "/_instance/xdm:name", message: `a tag named "${name}" already exists` });
}

/** The cross-entity violations of an instance (empty when every rule holds). */
export async function ruleViolations(ctx: RuleContext, instance: Obj): Promise<ReportEntry[]> {
  const report: ReportEntry[] = [];
  const is = (schema: string) => ctx.memberships.includes(schema);
  const refs: Reference[] = [];
  if (is(PERSONALIZED_OFFER) || is(FALLBACK_OFFER)) {
    refs.push(...offerReferences(instance));
    duplicatePlacements(instance, report);
    dateOrder(obj(instance["xdm:selectionConstraint"]), "/_instance/xdm:selectionConstraint", report);
  }
  if (is(OFFER_FILTER)) refs.push(...filterReferences(instance));
  if (is(OFFER_ACTIVITY)) {
    refs.push(...activityReferences(instance));
    dateOrder(instance, "/_instance", report);
  }
  const byKey = refs.length > 0 ? await resolveReferences(ctx, refs, report) : new Map<string, InstanceRecord>();
  if (is(OFFER_ACTIVITY)) await fallbackCoversPlacements(instance, byKey, report);
  if (is(TAG)) await tagNameUnique(ctx, instance, report);
  return report;
}
