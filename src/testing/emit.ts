import type { ArtifactMetric, ArtifactOption, ArtifactRule, ArtifactRuleMeta } from "../artifact/schema";
import type { Audience } from "./audiences";
import { cloneJson, invalid, jsonKey, type JsonValue } from "./json";
import type { PlannedActivity, PlannedExperience } from "./normalize";
import { metricEventToken, optionEventToken } from "./tokens";

const FIRST_AUTO_AUDIENCE_ID = 1_000_001;
const FIRST_OPTION_ID = 2;

/** Gives every audience an id: its own, or one per distinct condition, skipping explicit ids. */
export function assignAudienceIds(activities: readonly PlannedActivity[]): (a: Audience) => number {
  const all = activities.flatMap((act) => [...act.audiences, ...act.experiences.flatMap((e) => e.audiences)]);
  const explicit = new Map<number, string>();
  for (const a of all) {
    if (a.id === undefined) continue;
    const key = jsonKey(a.condition);
    const known = explicit.get(a.id);
    if (known !== undefined && known !== key) invalid("build", `audience id ${a.id} is used for two different conditions`);
    explicit.set(a.id, key);
  }
  const auto = new Map<string, number>();
  let next = FIRST_AUTO_AUDIENCE_ID;
  for (const a of all) {
    if (a.id !== undefined) continue;
    const key = jsonKey(a.condition);
    if (auto.has(key)) continue;
    while (explicit.has(next)) next++;
    auto.set(key, next++);
  }
  return (a) => a.id ?? auto.get(jsonKey(a.condition))!;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Target's A/B ranges: first `0 <= a <= C1`, then `C(i-1) < a <= Ci`, the last closed at 100 (docs/target-behaviour.md#allocation). */
export function allocationRanges(weights: readonly number[]): JsonValue[] {
  const a = { var: "allocation" };
  let previous = 0;
  return weights.map((w, i) => {
    const upper = i === weights.length - 1 ? 100 : round2(previous + w);
    const lower: JsonValue = i === 0 ? { "<=": [0, a] } : { "<": [previous, a] };
    previous = upper;
    return { and: [lower, { ">=": [upper, a] }] };
  });
}

export interface EmitContext {
  client: string;
  globalMbox: string;
  audienceId: (a: Audience) => number;
}

export interface EmittedRules {
  group: "mboxes" | "views";
  location: string;
  priority: number;
  rules: ArtifactRule[];
}

function condition(activity: PlannedActivity, experience: PlannedExperience, range: JsonValue | undefined): JsonValue {
  const parts: JsonValue[] = [];
  if (activity.schedule !== undefined) parts.push(cloneJson(activity.schedule, "build"));
  if (range !== undefined) parts.push(range);
  for (const a of [...experience.audiences, ...activity.audiences]) parts.push(cloneJson(a.condition, "build"));
  if (parts.length === 0) return true;
  return parts.length === 1 ? parts[0]! : { and: parts };
}

function offerName(activity: PlannedActivity, experience: PlannedExperience): string {
  const slug = activity.name.replace(/[^A-Za-z0-9-]+/g, "_").replace(/^_+|_+$/g, "") || `activity-${activity.id}`;
  return `/${slug}/experiences/${experience.index}/pages/0/zones/0`;
}

/** The rules of one activity, in evaluation order (experiences in order; VEC locations within each). */
export function emitActivity(activity: PlannedActivity, ctx: EmitContext): EmittedRules {
  const pageLoad = activity.placement === "pageLoad";
  const location = pageLoad ? ctx.globalMbox : activity.location;
  const locationType = activity.placement === "view" || (pageLoad && activity.vec) ? "view" : "mbox";
  const ranges = activity.type === "ab" ? allocationRanges(activity.experiences.map((e) => e.weight!)) : undefined;
  const metrics = activity.metrics.map((m, i) => ({
    eventToken: m.eventToken ?? metricEventToken(ctx.client, activity.id, i, m.type),
    ...(m.selector === undefined ? {} : { selector: m.selector }),
    type: m.type,
  }));
  const locations = activity.vec ? Math.max(1, ...activity.experiences.map((e) => e.actions.length)) : 1;
  let nextOptionId = FIRST_OPTION_ID;
  const rules: ArtifactRule[] = [];

  for (const experience of activity.experiences) {
    const eventToken = optionEventToken(ctx.client, activity.id, experience.id);
    const audienceIds = [...new Set([...experience.audiences, ...activity.audiences].map(ctx.audienceId))];
    const ruleCondition = condition(activity, experience, ranges?.[experience.index]);
    for (let loc = 0; loc < locations; loc++) {
      let option: ArtifactOption = { eventToken };
      if (activity.vec) {
        const action = experience.actions[loc];
        if (action !== undefined) option = { type: "actions", eventToken, content: [cloneJson(action, "build")] };
      } else if (experience.option) {
        option = { type: experience.option.type, eventToken, content: cloneJson(experience.option.content, "build") };
      }
      const blank = option.type === undefined;
      const meta: ArtifactRuleMeta = {
        "activity.id": activity.id,
        "activity.name": activity.name,
        "activity.type": activity.type === "ab" ? "ab" : "landing",
        "experience.id": experience.id,
        "experience.name": experience.name,
        "location.name": location,
        "location.type": locationType,
        "location.id": loc,
        "audience.ids": audienceIds,
      };
      if (!activity.vec && !blank) {
        meta["offer.id"] = experience.offer.id ?? activity.id * 100 + experience.index;
        meta["offer.name"] = experience.offer.name ?? offerName(activity, experience);
      }
      const optionId = blank ? 0 : nextOptionId++;
      meta["option.id"] = optionId;
      if (!blank) meta["option.name"] = `Offer${optionId}`;
      const rule: ArtifactRule = {
        ruleKey: activity.vec ? `${activity.id}-${loc}` : String(activity.id),
        activityId: activity.id,
        meta,
        condition: loc === 0 ? ruleCondition : cloneJson(ruleCondition, "build"),
        consequence: { name: location, options: [option], metrics: metrics.map((m): ArtifactMetric => ({ ...m })) },
      };
      if (activity.propertyTokens.length > 0) rule.propertyTokens = [...activity.propertyTokens];
      rules.push(rule);
    }
  }
  return { group: activity.placement === "view" ? "views" : "mboxes", location, priority: activity.priority, rules };
}
