/**
 * A/B and XT activity bodies → the stored activity shape. Version 3 bodies use `options` plus
 * `experiences[].optionLocations`; version 1/2 bodies use `experiences[].offerLocations` (offer ids
 * per location) and are normalised into options here. Everything that can be checked without the
 * store is checked here; references (offers, audiences, properties, thirdPartyId) in ./activities.
 */
import { ACTIVITY_STATES, type Activity, type ActivityMetric, type ActivityOption, type ActivityType, type EntryConstraint, type Experience, type LocationMbox } from "./model";
import { unsupportedVersion } from "./errors";
import { array, fieldError, id, idList, integer, isoDate, isRecord, oneOf, record, requiredText, text, uniqueBy, type Body } from "./fields";

export type ActivityDraft = Omit<Activity, "id" | "createdAt" | "modifiedAt">;

const DEFAULT_PRIORITY = 5;
const OPAQUE_FIELDS = ["reportingAudiences", "analytics", "autoAllocateTraffic", "description"];

/** Whether a body is written in the v3 options model or the older offerLocations model. */
function bodyModel(body: Body): "options" | "legacy" | "none" {
  const experiences = Array.isArray(body.experiences) ? body.experiences : [];
  const usesOptions = body.options !== undefined || experiences.some((e) => isRecord(e) && e.optionLocations !== undefined);
  const usesLegacy = experiences.some((e) => isRecord(e) && e.offerLocations !== undefined);
  if (usesOptions && usesLegacy) throw fieldError("experiences", "mixes options/optionLocations with offerLocations");
  return usesOptions ? "options" : usesLegacy ? "legacy" : "none";
}

export function parseActivity(body: Body, type: ActivityType, version: number): ActivityDraft {
  const model = bodyModel(body);
  if (model === "options" && version < 3) throw unsupportedVersion("options/optionLocations need application/vnd.adobe.target.v3+json");
  if (model === "legacy" && version >= 3) throw unsupportedVersion("offerLocations is the v1/v2 shape; version 3 uses options and optionLocations");
  const locations = parseLocations(body);
  const { options, experiences } = model === "legacy" ? parseLegacyExperiences(body, type, locations) : parseExperiences(body, type, locations);
  const startsAt = isoDate(body, "startsAt");
  const endsAt = isoDate(body, "endsAt");
  if (startsAt !== undefined && endsAt !== undefined && Date.parse(endsAt) <= Date.parse(startsAt)) throw fieldError("endsAt", "must be after startsAt");
  const extras: Record<string, unknown> = {};
  for (const key of OPAQUE_FIELDS) if (body[key] !== undefined) extras[key] = body[key];
  const entryConstraint = parseEntryConstraint(body);
  const draft: ActivityDraft = {
    type,
    name: requiredText(body, "name"),
    // Our default (Target does not document one): authored activities go live unless told otherwise.
    state: oneOf(body, "state", ACTIVITY_STATES) ?? "approved",
    priority: integer(body, "priority", "priority", { min: 0, max: 999 }) ?? DEFAULT_PRIORITY,
    propertyIds: idList(body, "propertyIds", "propertyIds"),
    locations,
    options,
    experiences,
    metrics: parseMetrics(body),
    legacy: model === "legacy" || (model === "none" && version < 3),
  };
  const thirdPartyId = text(body, "thirdPartyId");
  if (thirdPartyId !== undefined && thirdPartyId !== "") draft.thirdPartyId = thirdPartyId;
  if (startsAt !== undefined) draft.startsAt = startsAt;
  if (endsAt !== undefined) draft.endsAt = endsAt;
  const workspace = text(body, "workspace");
  if (workspace !== undefined) draft.workspace = workspace;
  if (entryConstraint) draft.entryConstraint = entryConstraint;
  if (Object.keys(extras).length > 0) draft.extras = extras;
  return draft;
}

function parseLocations(body: Body): Activity["locations"] {
  const locations = record(body.locations ?? {}, "locations");
  const mboxes: LocationMbox[] = array(locations, "mboxes", "locations.mboxes", { required: true }).map((raw, i) => {
    const field = `locations.mboxes[${i}]`;
    const m = record(raw, field);
    return {
      locationLocalId: id(m.locationLocalId ?? i, `${field}.locationLocalId`),
      name: requiredText(m, "name", `${field}.name`),
      audienceIds: idList(m, "audienceIds", `${field}.audienceIds`),
    };
  });
  if (mboxes.length === 0) throw fieldError("locations.mboxes", "must name at least one mbox");
  uniqueBy(mboxes, (m) => m.locationLocalId, "locations.mboxes", "locationLocalId");
  uniqueBy(mboxes, (m) => m.name, "locations.mboxes", "mbox name");
  const selectors = array(locations, "selectors", "locations.selectors");
  return selectors.length > 0 ? { mboxes, selectors } : { mboxes };
}

function parseEntryConstraint(body: Body): EntryConstraint | undefined {
  if (body.entryConstraint === undefined || body.entryConstraint === null) return undefined;
  const entry = record(body.entryConstraint, "entryConstraint");
  const mboxes = array(entry, "mboxes", "entryConstraint.mboxes").map((raw, i) => {
    const m = record(raw, `entryConstraint.mboxes[${i}]`);
    return { name: requiredText(m, "name", `entryConstraint.mboxes[${i}].name`), audienceIds: idList(m, "audienceIds", `entryConstraint.mboxes[${i}].audienceIds`) };
  });
  const visitorPercentage = integer(entry, "visitorPercentage", "entryConstraint.visitorPercentage", { min: 1, max: 100 }) ?? 100;
  return { mboxes, visitorPercentage };
}

function parseExperienceBase(raw: unknown, i: number, type: ActivityType): Omit<Experience, "optionLocations"> {
  const field = `experiences[${i}]`;
  const e = record(raw, field);
  const experience: Omit<Experience, "optionLocations"> = {
    experienceLocalId: id(e.experienceLocalId ?? i, `${field}.experienceLocalId`),
    name: text(e, "name", `${field}.name`) || `Experience ${String.fromCharCode(65 + (i % 26))}`,
    audienceIds: idList(e, "audienceIds", `${field}.audienceIds`),
  };
  if (type === "ab") experience.visitorPercentage = integer(e, "visitorPercentage", `${field}.visitorPercentage`, { min: 0, max: 100, required: true });
  return experience;
}

function checkExperiences(experiences: Experience[], type: ActivityType): void {
  if (experiences.length === 0) throw fieldError("experiences", "must contain at least one experience");
  uniqueBy(experiences, (e) => e.experienceLocalId, "experiences", "experienceLocalId");
  if (type === "ab") {
    const sum = experiences.reduce((s, e) => s + (e.visitorPercentage ?? 0), 0);
    if (sum !== 100) throw fieldError("experiences", `visitorPercentage must sum to 100, got ${sum}`);
  }
}

function parseExperiences(body: Body, type: ActivityType, locations: Activity["locations"]): { options: ActivityOption[]; experiences: Experience[] } {
  const options: ActivityOption[] = array(body, "options", "options").map((raw, i) => {
    const o = record(raw, `options[${i}]`);
    const option: ActivityOption = { optionLocalId: id(o.optionLocalId, `options[${i}].optionLocalId`), offerId: id(o.offerId, `options[${i}].offerId`) };
    const name = text(o, "name", `options[${i}].name`);
    if (name) option.name = name;
    return option;
  });
  uniqueBy(options, (o) => o.optionLocalId, "options", "optionLocalId");
  const locationIds = new Set(locations.mboxes.map((m) => m.locationLocalId));
  const optionIds = new Set(options.map((o) => o.optionLocalId));
  const experiences = array(body, "experiences", "experiences", { required: true }).map((raw, i): Experience => {
    const base = parseExperienceBase(raw, i, type);
    const e = raw as Body;
    const optionLocations = array(e, "optionLocations", `experiences[${i}].optionLocations`).map((rawLocation, j) => {
      const field = `experiences[${i}].optionLocations[${j}]`;
      const l = record(rawLocation, field);
      const locationLocalId = id(l.locationLocalId, `${field}.locationLocalId`);
      const optionLocalId = id(l.optionLocalId, `${field}.optionLocalId`);
      if (!locationIds.has(locationLocalId)) throw fieldError(`${field}.locationLocalId`, `unknown location ${locationLocalId}`);
      if (!optionIds.has(optionLocalId)) throw fieldError(`${field}.optionLocalId`, `unknown option ${optionLocalId}`);
      return { locationLocalId, optionLocalId };
    });
    uniqueBy(optionLocations, (l) => l.locationLocalId, `experiences[${i}].optionLocations`, "locationLocalId");
    return { ...base, optionLocations };
  });
  checkExperiences(experiences, type);
  return { options, experiences };
}

/** v1/v2: `offerLocations: [{locationLocalId, offerId}]` per experience → one option per (experience, location). */
function parseLegacyExperiences(body: Body, type: ActivityType, locations: Activity["locations"]): { options: ActivityOption[]; experiences: Experience[] } {
  const locationIds = new Set(locations.mboxes.map((m) => m.locationLocalId));
  const options: ActivityOption[] = [];
  const experiences = array(body, "experiences", "experiences", { required: true }).map((raw, i): Experience => {
    const base = parseExperienceBase(raw, i, type);
    const offerLocations = array(raw as Body, "offerLocations", `experiences[${i}].offerLocations`).map((rawLocation, j) => {
      const field = `experiences[${i}].offerLocations[${j}]`;
      const l = record(rawLocation, field);
      const locationLocalId = id(l.locationLocalId, `${field}.locationLocalId`);
      if (!locationIds.has(locationLocalId)) throw fieldError(`${field}.locationLocalId`, `unknown location ${locationLocalId}`);
      const optionLocalId = options.length + 1;
      options.push({ optionLocalId, offerId: id(l.offerId, `${field}.offerId`) });
      return { locationLocalId, optionLocalId };
    });
    uniqueBy(offerLocations, (l) => l.locationLocalId, `experiences[${i}].offerLocations`, "locationLocalId");
    return { ...base, optionLocations: offerLocations };
  });
  checkExperiences(experiences, type);
  return { options, experiences };
}

function parseMetrics(body: Body): ActivityMetric[] {
  const metrics = array(body, "metrics", "metrics").map((raw, i): ActivityMetric => {
    const field = `metrics[${i}]`;
    const m = record(raw, field);
    const metric: ActivityMetric = {
      metricLocalId: id(m.metricLocalId ?? i, `${field}.metricLocalId`),
      mboxes: array(m, "mboxes", `${field}.mboxes`).map((rawMbox, j) => {
        const mb = record(rawMbox, `${field}.mboxes[${j}]`);
        const successEvent = oneOf(mb, "successEvent", ["mbox_shown", "mbox_clicked"] as const, `${field}.mboxes[${j}].successEvent`) ?? "mbox_shown";
        const entry: ActivityMetric["mboxes"][number] = { name: requiredText(mb, "name", `${field}.mboxes[${j}].name`), successEvent };
        if (mb.audienceId !== undefined && mb.audienceId !== null) entry.audienceId = id(mb.audienceId, `${field}.mboxes[${j}].audienceId`);
        return entry;
      }),
    };
    const name = text(m, "name", `${field}.name`);
    if (name) metric.name = name;
    if (typeof m.conversion === "boolean") metric.conversion = m.conversion;
    if (isRecord(m.action)) metric.action = m.action;
    return metric;
  });
  uniqueBy(metrics, (m) => m.metricLocalId, "metrics", "metricLocalId");
  return metrics;
}

/** Every audience id the activity references (entry, locations, experiences, metrics). */
export function referencedAudienceIds(a: ActivityDraft): number[] {
  return [
    ...(a.entryConstraint?.mboxes ?? []).flatMap((m) => m.audienceIds),
    ...a.locations.mboxes.flatMap((m) => m.audienceIds),
    ...a.experiences.flatMap((e) => e.audienceIds),
    ...a.metrics.flatMap((m) => m.mboxes.flatMap((mb) => (mb.audienceId === undefined ? [] : [mb.audienceId]))),
  ];
}

/** The activity as the API returns it (v3, or the v1/v2 offerLocations shape). */
export function renderActivity(a: Activity, version: number): Record<string, unknown> {
  const { legacy: _legacy, extras, options, experiences, ...rest } = a;
  const out: Record<string, unknown> = { ...rest, ...(extras ?? {}) };
  if (version >= 3) {
    out.options = options;
    out.experiences = experiences;
  } else {
    const offerOf = new Map(options.map((o) => [o.optionLocalId, o.offerId]));
    out.experiences = experiences.map(({ optionLocations, ...e }) => ({
      ...e,
      offerLocations: optionLocations.map((l) => ({ locationLocalId: l.locationLocalId, offerId: offerOf.get(l.optionLocalId) })),
    }));
  }
  return out;
}
