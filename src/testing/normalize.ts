import type { Audience } from "./audiences";
import { timeFrame } from "./audiences";
import { cloneJson, invalid, type JsonValue } from "./json";
import type { AbExperienceSpec, ActivityBase, ExperienceSpec, MetricSpec, VecAction } from "./types";

/** A validated, copied activity, ready to be turned into rules at build time. */
export interface PlannedActivity {
  /** "mbox" = form-based on an mbox; "view" = VEC on a view; "pageLoad" = on the global mbox. */
  placement: "mbox" | "view" | "pageLoad";
  type: "ab" | "xt";
  /** VEC activity: one rule per action location, ruleKey "<id>-<n>". */
  vec: boolean;
  id: number;
  name: string;
  /** mbox or view name; "" for pageLoad (resolved to the global mbox at build). */
  location: string;
  propertyTokens: string[];
  audiences: Audience[];
  schedule: JsonValue | undefined;
  priority: number;
  metrics: MetricSpec[];
  experiences: PlannedExperience[];
}

export interface PlannedOption {
  type: "json" | "html" | "redirect";
  content: JsonValue;
}

export interface PlannedExperience {
  id: number;
  name: string;
  index: number;
  weight: number | undefined;
  audiences: Audience[];
  /** Form-based content; undefined = blank option. */
  option: PlannedOption | undefined;
  /** VEC actions (one per location). */
  actions: JsonValue[];
  offer: { id?: number; name?: string };
}

const MAX_EXPERIENCES = 100;

function name(where: string, label: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") invalid(where, `${label} must be a non-empty string`);
  return value;
}

function nonNegativeInt(where: string, label: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) invalid(where, `${label} must be a non-negative integer`);
  return value;
}

export function audienceList(where: string, value: Audience | readonly Audience[] | undefined): Audience[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? [...(value as readonly Audience[])] : [value as Audience];
  for (const a of list) {
    if (!a || typeof a !== "object" || !("condition" in a)) invalid(where, "audience must be built with the audience helpers (urlContains, browserIs, custom, …)");
  }
  return list;
}

function action(where: string, raw: VecAction, path: string): JsonValue {
  if (!raw || typeof raw !== "object") invalid(where, `${path} must be an object`);
  const type = name(where, `${path}.type`, raw.type);
  const selector = name(where, `${path}.selector`, raw.selector);
  const out: Record<string, JsonValue> = { type, selector, cssSelector: raw.cssSelector ?? selector };
  if (raw.content !== undefined) out.content = cloneJson(raw.content, where, `${path}.content`);
  return out;
}

function content(where: string, spec: ExperienceSpec, vecAllowed: boolean): { option?: PlannedOption; actions?: JsonValue[] } {
  const given = (["json", "content", "html", "redirect", "actions"] as const).filter((k) => spec[k] !== undefined);
  if (given.length > 1) invalid(where, `give only one of json, content, html, redirect, actions (got ${given.join(", ")})`);
  if (spec.actions !== undefined) {
    if (!vecAllowed) invalid(where, "actions (VEC) are only supported on views and pageLoad; use json or html for mboxes");
    if (!Array.isArray(spec.actions)) invalid(where, "actions must be an array");
    return { actions: spec.actions.map((a, i) => action(where, a, `actions[${i}]`)) };
  }
  if (spec.html !== undefined) {
    if (typeof spec.html !== "string") invalid(where, "html must be a string");
    return { option: { type: "html", content: spec.html } };
  }
  if (spec.redirect !== undefined) return { option: { type: "redirect", content: name(where, "redirect", spec.redirect) } };
  if (spec.json !== undefined) return { option: { type: "json", content: cloneJson(spec.json, where, "json") } };
  if (spec.content !== undefined) {
    const c = cloneJson(spec.content, where, "content");
    return { option: { type: typeof c === "string" ? "html" : "json", content: c } };
  }
  return {};
}

/** Integer percentages split as evenly as possible, the remainder going to the first experiences (34/33/33). */
function evenSplit(n: number): number[] {
  const base = Math.floor(100 / n);
  return Array.from({ length: n }, (_, i) => base + (i < 100 - base * n ? 1 : 0));
}

function weights(where: string, experiences: readonly AbExperienceSpec[]): number[] {
  const given = experiences.filter((e) => e.weight !== undefined).length;
  if (given === 0) return evenSplit(experiences.length);
  if (given !== experiences.length) invalid(where, "give a weight for every experience or for none (even split)");
  const list = experiences.map((e, i) => {
    const w = e.weight;
    if (typeof w !== "number" || !Number.isFinite(w) || w <= 0) invalid(where, `experiences[${i}].weight must be a number > 0`);
    if (Math.abs(Math.round(w * 100) - w * 100) > 1e-6) invalid(where, `experiences[${i}].weight has more than two decimals`);
    return w;
  });
  const sum = Math.round(list.reduce((a, b) => a + b, 0) * 100) / 100;
  if (sum !== 100) invalid(where, `experience weights sum to ${sum}, expected 100`, { weights: list });
  return list;
}

export interface PlanInput {
  placement: PlannedActivity["placement"];
  type: "ab" | "xt" | undefined;
  location: string;
  base: ActivityBase;
  experiences: readonly AbExperienceSpec[];
}

/** Validates one experience of an activity and copies it (`vecMode`: it is given as VEC actions). */
function planExperience(
  where: string,
  e: AbExperienceSpec,
  index: number,
  ctx: { placement: PlanInput["placement"]; split: number[] | undefined; seenIds: Set<number> },
): PlannedExperience & { vecMode: boolean } {
  if (!e || typeof e !== "object") invalid(where, `experiences[${index}] must be an object`);
  const ew = `${where} experience "${String(e.name)}"`;
  const experienceName = name(ew, "name", e.name);
  const experienceId = e.id === undefined ? index : nonNegativeInt(ew, "id", e.id);
  if (ctx.seenIds.has(experienceId)) invalid(where, `duplicate experience id ${experienceId}`);
  ctx.seenIds.add(experienceId);
  const c = content(ew, e, ctx.placement !== "mbox");
  if (ctx.placement === "view" && c.option) invalid(ew, "view experiences are VEC: use actions");
  const offer: { id?: number; name?: string } = {};
  if (e.offer?.id !== undefined) offer.id = nonNegativeInt(ew, "offer.id", e.offer.id);
  if (e.offer?.name !== undefined) offer.name = name(ew, "offer.name", e.offer.name);
  return {
    id: experienceId,
    name: experienceName,
    index,
    weight: ctx.split?.[index],
    audiences: audienceList(ew, e.audience),
    option: c.option,
    actions: c.actions ?? [],
    offer,
    vecMode: c.actions !== undefined,
  };
}

/** Validates an activity spec and copies it into a {@link PlannedActivity}. Throws ODE_ERR_INVALID_OPTION. */
export function planActivity(method: string, input: PlanInput): PlannedActivity {
  const spec = input.base;
  if (!spec || typeof spec !== "object") invalid(method, "expected an activity object");
  const where0 = `${method}(${String(spec.id)})`;
  const id = nonNegativeInt(where0, "id", spec.id);
  if (id === 0) invalid(where0, "id must be > 0");
  const where = `${method}(${id} "${String(spec.name)}")`;
  const activityName = name(where, "name", spec.name);
  if (input.placement !== "pageLoad") {
    const label = input.placement === "view" ? "view" : "mbox";
    if (name(where, label, input.location) === "__proto__") invalid(where, `"__proto__" is not a valid ${label} name`);
  }
  const experiences = input.experiences;
  if (!Array.isArray(experiences) || experiences.length === 0) invalid(where, "experiences must be a non-empty array");
  if (experiences.length > MAX_EXPERIENCES) invalid(where, `at most ${MAX_EXPERIENCES} experiences`);

  const anyWeight = experiences.some((e) => e?.weight !== undefined);
  const type = input.type ?? (input.placement === "mbox" ? "ab" : anyWeight ? "ab" : "xt");
  if (type !== "ab" && type !== "xt") invalid(where, `type must be "ab" or "xt"`);
  if (type === "xt" && anyWeight) invalid(where, "XT experiences take audiences, not weights");
  const split = type === "ab" ? weights(where, experiences) : undefined;

  const seenIds = new Set<number>();
  const planned = experiences.map((e, index) => planExperience(where, e, index, { placement: input.placement, split, seenIds }));

  const vec = input.placement === "view" || planned.some((e) => e.vecMode);
  if (vec && planned.some((e) => e.option)) invalid(where, "do not mix actions (VEC) with json/html experiences in one activity");
  if (type === "xt") {
    const catchAll = planned.findIndex((e) => e.audiences.length === 0);
    if (catchAll >= 0 && catchAll < planned.length - 1) {
      invalid(where, `experience "${planned[catchAll]!.name}" has no audience but is not the last one; the experiences after it could never be selected`);
    }
  }

  const tokens = spec.propertyTokens ?? [];
  if (!Array.isArray(tokens)) invalid(where, "propertyTokens must be an array of strings");
  tokens.forEach((t, i) => name(where, `propertyTokens[${i}]`, t));
  const priority = spec.priority ?? 5;
  if (!Number.isInteger(priority) || priority < 0 || priority > 999) invalid(where, "priority must be an integer 0–999");
  const metrics = (spec.metrics ?? []).map((m, i) => {
    if (!m || (m.type !== "click" && m.type !== "display")) invalid(where, `metrics[${i}].type must be "click" or "display"`);
    if (m.selector !== undefined) name(where, `metrics[${i}].selector`, m.selector);
    if (m.eventToken !== undefined) name(where, `metrics[${i}].eventToken`, m.eventToken);
    return { ...m };
  });
  const schedule = spec.schedule === undefined ? undefined : timeFrame(spec.schedule).condition;

  return {
    placement: input.placement,
    type,
    vec,
    id,
    name: activityName,
    location: input.location,
    propertyTokens: [...tokens],
    audiences: audienceList(where, spec.audience),
    schedule,
    priority,
    metrics,
    experiences: planned.map(({ vecMode: _vecMode, ...e }) => e),
  };
}
