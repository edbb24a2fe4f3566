/**
 * Authored activities, audiences and offers of one tenant → the on-device rule artifact (the JSON
 * Target's CDN serves). Pure and deterministic: the same snapshot, environment, token and `now`
 * give the same artifact, byte for byte. docs/publishing.md explains every choice.
 */
import type { Activity, Experience, Offer, TenantSnapshot } from "./model";
import { DEFAULT_GLOBAL_MBOX, type Artifact, type ArtifactMetric, type ArtifactOption, type ArtifactRule, type ArtifactRuleMeta } from "../../artifact/schema";
import { createAudienceResolver, type AudienceResolver } from "./audiences";
import { timestampGuard, type JsonLogic } from "./target-rule";

export interface CompileOptions {
  environment: string;
  /** Only rules that apply to requests carrying this property token (plus property-agnostic ones). */
  propertyToken?: string;
  organizationId?: string;
  /** ms epoch: activities that ended before it are left out. */
  now: number;
  /** meta.generatedAt; omitted when not given (the publisher sets it). */
  generatedAt?: string;
}

const allocation = { var: "allocation" };
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A/B traffic ranges over the visitor's allocation (0–100): the first experience gets
 * `0 ≤ a ≤ C₁`, experience i gets `Cᵢ₋₁ < a ≤ Cᵢ` (C = cumulative percentages). With an entry
 * `visitorPercentage` E < 100 the ranges are scaled into [0, E]: visitors above E match no rule of
 * the activity and fall through to the next one.
 */
export function allocationRanges(percentages: readonly number[], visitorPercentage = 100): JsonLogic[] {
  let cumulative = 0;
  return percentages.map((p, i) => {
    const lower = round2((visitorPercentage * cumulative) / 100);
    cumulative += p;
    const upper = round2((visitorPercentage * cumulative) / 100);
    const low = i === 0 ? { "<=": [0, allocation] } : { "<": [lower, allocation] };
    return { and: [low, { ">=": [upper, allocation] }] };
  });
}

/** Activities that go into an artifact: approved A/B or XT, not ended at `now`. */
export function isPublishable(activity: Activity, now: number): boolean {
  if (activity.type !== "ab" && activity.type !== "xt") return false;
  if (activity.state !== "approved") return false;
  return activity.endsAt === undefined || Date.parse(activity.endsAt) > now;
}

/** Priority (higher first); ties: most recently modified first, then the higher id. */
export function compareActivities(a: Activity, b: Activity): number {
  return b.priority - a.priority || Date.parse(b.modifiedAt) - Date.parse(a.modifiedAt) || b.id - a.id;
}

/** Base64 of ASCII text, without Node's Buffer (the compiler runs anywhere). */
const base64 = (text: string) => btoa(text);

interface ActivityContext {
  activity: Activity;
  audiences: AudienceResolver;
  offers: Map<number, Offer>;
  propertyTokens: string[];
}

export function compileArtifact(snapshot: TenantSnapshot, options: CompileOptions): Artifact {
  const audiencesById = new Map(snapshot.audiences.map((a) => [a.id, a]));
  const audiences = createAudienceResolver((id) => audiencesById.get(id));
  const offers = new Map(snapshot.offers.map((o) => [o.id, o]));
  const tokenById = new Map(snapshot.properties.map((p) => [p.id, p.token]));
  const mboxes: Record<string, ArtifactRule[]> = {};
  const remoteMboxes = new Set<string>();

  const selected = snapshot.activities.filter((a) => isPublishable(a, options.now)).sort(compareActivities);
  for (const activity of selected) {
    const propertyTokens = activity.propertyIds.map((id) => tokenById.get(id)).filter((t): t is string => t !== undefined);
    if (options.propertyToken !== undefined && propertyTokens.length > 0 && !propertyTokens.includes(options.propertyToken)) continue;
    if (isRemote(activity, audiences)) {
      for (const location of activity.locations.mboxes) remoteMboxes.add(location.name);
      continue;
    }
    for (const [name, rules] of activityRules({ activity, audiences, offers, propertyTokens })) {
      if (!Object.prototype.hasOwnProperty.call(mboxes, name)) mboxes[name] = [];
      mboxes[name]!.push(...rules);
    }
  }
  return {
    version: "1.0.0",
    meta: artifactMeta(snapshot.tenant, options),
    globalMbox: DEFAULT_GLOBAL_MBOX,
    geoTargetingEnabled: readsGeo(mboxes),
    responseTokens: snapshot.responseTokens.filter((t) => t.status === "active").map((t) => t.name),
    remoteMboxes: [...remoteMboxes].sort(),
    remoteViews: [],
    localMboxes: Object.keys(mboxes).sort(),
    localViews: [],
    rules: { mboxes, views: {} },
  };
}

function artifactMeta(tenant: string, options: CompileOptions): Artifact["meta"] {
  return {
    clientCode: tenant,
    environment: options.environment,
    ...(options.organizationId !== undefined ? { organizationId: options.organizationId } : {}),
    ...(options.generatedAt !== undefined ? { generatedAt: options.generatedAt } : {}),
  };
}

function readsGeo(mboxes: Record<string, ArtifactRule[]>): boolean {
  const walk = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(walk);
    if (!node || typeof node !== "object") return false;
    const record = node as Record<string, unknown>;
    if (typeof record.var === "string" && record.var.startsWith("geo.")) return true;
    return Object.values(record).some(walk);
  };
  return Object.values(mboxes).some((rules) => rules.some((r) => walk(r.condition)));
}

/** Every audience id an activity uses on a location (entry, location and experience audiences). */
function entryAudienceIds(activity: Activity, mbox: string): number[] {
  return (activity.entryConstraint?.mboxes ?? []).filter((m) => m.name === mbox).flatMap((m) => m.audienceIds);
}

function isRemote(activity: Activity, audiences: AudienceResolver): boolean {
  const ids = [
    ...(activity.entryConstraint?.mboxes ?? []).flatMap((m) => m.audienceIds),
    ...activity.locations.mboxes.flatMap((m) => m.audienceIds),
    ...activity.experiences.flatMap((e) => e.audienceIds),
  ];
  return audiences.anyRemote(ids);
}

/** Experiences in evaluation order: XT as listed (first match wins), A/B by experienceLocalId. */
function orderedExperiences(activity: Activity): Experience[] {
  if (activity.type === "xt") return activity.experiences;
  return [...activity.experiences].sort((a, b) => a.experienceLocalId - b.experienceLocalId);
}

function activityRules(ctx: ActivityContext): Map<string, ArtifactRule[]> {
  const { activity, audiences } = ctx;
  const experiences = orderedExperiences(activity);
  const ranges =
    activity.type === "ab"
      ? allocationRanges(experiences.map((e) => e.visitorPercentage ?? 0), activity.entryConstraint?.visitorPercentage ?? 100)
      : undefined;
  const schedule = timestampGuard(
    activity.startsAt === undefined ? undefined : Date.parse(activity.startsAt),
    activity.endsAt === undefined ? undefined : Date.parse(activity.endsAt),
  );
  const out = new Map<string, ArtifactRule[]>();
  for (const location of activity.locations.mboxes) {
    const rules: ArtifactRule[] = [];
    experiences.forEach((experience, i) => {
      // An A/B experience without traffic never matches: it gets no rule.
      if (ranges && (experience.visitorPercentage ?? 0) === 0) return;
      const audienceIds = unique([...entryAudienceIds(activity, location.name), ...location.audienceIds, ...experience.audienceIds]);
      const parts: JsonLogic[] = [];
      if (schedule !== undefined) parts.push(schedule);
      if (ranges) parts.push(ranges[i]);
      for (const id of audienceIds) parts.push((audiences.resolve(id) as { condition: JsonLogic }).condition);
      const condition = parts.length === 0 ? true : parts.length === 1 ? parts[0] : { and: parts };
      rules.push(rule(ctx, experience, location.locationLocalId, location.name, audienceIds, condition));
    });
    out.set(location.name, rules);
  }
  return out;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}

function rule(ctx: ActivityContext, experience: Experience, locationLocalId: number, mbox: string, audienceIds: number[], condition: JsonLogic): ArtifactRule {
  const { activity } = ctx;
  const placement = experience.optionLocations.find((l) => l.locationLocalId === locationLocalId);
  const option = placement && activity.options.find((o) => o.optionLocalId === placement.optionLocalId);
  const offer = option && ctx.offers.get(option.offerId);
  const tokenParts = [activity.id, experience.experienceLocalId, locationLocalId, option ? option.optionLocalId : "none"];
  const eventToken = base64(tokenParts.join("."));
  const meta: ArtifactRuleMeta = {
    "activity.id": activity.id,
    "activity.name": activity.name,
    "activity.type": activity.type === "ab" ? "ab" : "landing",
    "experience.id": experience.experienceLocalId,
    "experience.name": experience.name,
    "location.id": locationLocalId,
    "location.name": mbox,
    "location.type": "mbox",
    "audience.ids": audienceIds,
  };
  let artifactOption: ArtifactOption = { eventToken };
  if (option && offer) {
    meta["offer.id"] = offer.id;
    meta["offer.name"] = offer.name;
    meta["option.id"] = option.optionLocalId;
    meta["option.name"] = option.name ?? `Offer${option.optionLocalId}`;
    artifactOption = offer.type === "json" ? { type: "json", content: offer.content, eventToken } : { type: "html", content: offer.content, eventToken };
  }
  const out: ArtifactRule = {
    ruleKey: String(activity.id),
    activityId: activity.id,
    meta,
    condition,
    consequence: { name: mbox, options: [artifactOption], metrics: clickMetrics(activity, mbox) },
  };
  if (ctx.propertyTokens.length > 0) out.propertyTokens = [...ctx.propertyTokens];
  return out;
}

/** Click metrics the activity counts on this mbox (`successEvent: mbox_clicked`). */
function clickMetrics(activity: Activity, mbox: string): ArtifactMetric[] {
  const out: ArtifactMetric[] = [];
  for (const metric of activity.metrics) {
    if (metric.mboxes.some((m) => m.name === mbox && m.successEvent === "mbox_clicked")) {
      out.push({ type: "click", eventToken: base64(`${activity.id}.metric.${metric.metricLocalId}`) });
    }
  }
  return out;
}
