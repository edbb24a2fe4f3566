/**
 * A/B and XT activities: create, replace, delete, attribute updates, the list and the changelog.
 * Every function runs inside one store transaction (see ./service), so a rejected request leaves
 * nothing behind.
 */
import { ACTIVITY_STATES, type Activity, type ActivityType, type ChangelogEntry } from "./model";
import { parseActivity, referencedAudienceIds, renderActivity, type ActivityDraft } from "./activity-payload";
import { conflict, invalid, notFound, unsupportedVersion } from "./errors";
import { fieldError, integer, isoDate, oneOf, requiredText, type Body } from "./fields";
import { listPage, type Query } from "./listing";
import type { AdminTransaction } from "./store";
import { nextId } from "./tenant";

export interface Ctx {
  tx: AdminTransaction;
  /** ISO time of this request. */
  now: string;
  /** Media type version of the request (1–3). */
  version: number;
}

export interface Result {
  status: number;
  body: unknown;
}

export const ACTIVITY_LIST = {
  sortable: ["name", "id", "endsAt", "thirdPartyId", "state", "type", "priority", "startsAt", "modifiedAt"],
  filters: { id: "number", thirdPartyId: "text", name: "text", state: "text", type: "text", priority: "number", workspace: "text", startsAt: "date", endsAt: "date", modifiedAt: "date" },
} as const;

export async function loadActivity(tx: AdminTransaction, id: string, type?: ActivityType): Promise<Activity> {
  const doc = /^\d{1,15}$/.test(id) ? ((await tx.get("activity", String(Number(id)))) as Activity | undefined) : undefined;
  if (!doc || (type !== undefined && doc.type !== type)) throw notFound(`No ${type ?? ""}${type ? " " : ""}activity with id ${id}`);
  return doc;
}

/** An options-based (v3) activity cannot be read or changed with an older version. */
function checkVersion(activity: Activity, version: number): void {
  if (version < 3 && !activity.legacy) throw unsupportedVersion("this activity uses options; use application/vnd.adobe.target.v3+json");
}

async function checkReferences(ctx: Ctx, draft: ActivityDraft, selfId?: number): Promise<void> {
  const { tx } = ctx;
  for (const option of draft.options) {
    if (!(await tx.get("offer", String(option.offerId)))) throw invalid("Reference.Invalid", `unknown offerId ${option.offerId}`, { field: "offerId", offerId: option.offerId });
  }
  for (const audienceId of new Set(referencedAudienceIds(draft))) {
    const audience = await tx.get("audience", String(audienceId));
    if (!audience || audience.status === "deleted") throw invalid("Reference.Invalid", `unknown audience id ${audienceId}`, { field: "audienceIds", audienceId });
  }
  for (const propertyId of draft.propertyIds) {
    if (!(await tx.get("property", String(propertyId)))) throw invalid("Reference.Invalid", `unknown property id ${propertyId}`, { field: "propertyIds", propertyId });
  }
  if (draft.thirdPartyId !== undefined) {
    const taken = (await tx.list("activity")).find((a) => a.thirdPartyId === draft.thirdPartyId && a.id !== selfId);
    if (taken) throw conflict("Activity.ThirdPartyId.Duplicate", `thirdPartyId "${draft.thirdPartyId}" is used by activity ${String(taken.id)}`, { thirdPartyId: draft.thirdPartyId });
  }
}

async function log(ctx: Ctx, activityId: number, action: ChangelogEntry["action"], details?: Record<string, unknown>): Promise<void> {
  const id = await nextId(ctx.tx, "changelog");
  const entry: ChangelogEntry = { id, activityId, action, modifiedAt: ctx.now, ...(details ? { details } : {}) };
  await ctx.tx.put("changelog", String(id), entry as unknown as Body);
}

export async function createActivity(ctx: Ctx, type: ActivityType, body: Body): Promise<Result> {
  const draft = parseActivity(body, type, ctx.version);
  await checkReferences(ctx, draft);
  const id = await nextId(ctx.tx, "activity");
  const activity: Activity = { id, ...draft, createdAt: ctx.now, modifiedAt: ctx.now };
  await ctx.tx.put("activity", String(id), activity as unknown as Body);
  await log(ctx, id, "created");
  return { status: 201, body: renderActivity(activity, ctx.version) };
}

export async function getActivity(ctx: Ctx, type: ActivityType, id: string): Promise<Result> {
  const activity = await loadActivity(ctx.tx, id, type);
  checkVersion(activity, ctx.version);
  return { status: 200, body: renderActivity(activity, ctx.version) };
}

export async function replaceActivity(ctx: Ctx, type: ActivityType, id: string, body: Body): Promise<Result> {
  const current = await loadActivity(ctx.tx, id, type);
  checkVersion(current, ctx.version);
  const draft = parseActivity(body, type, ctx.version);
  await checkReferences(ctx, draft, current.id);
  const activity: Activity = { id: current.id, ...draft, createdAt: current.createdAt, modifiedAt: ctx.now };
  await ctx.tx.put("activity", String(current.id), activity as unknown as Body);
  await log(ctx, current.id, "updated");
  return { status: 200, body: renderActivity(activity, ctx.version) };
}

/** Deleting needs no representation in the request, so any version may delete; the answer uses v3 when needed. */
export async function deleteActivity(ctx: Ctx, type: ActivityType, id: string): Promise<Result> {
  const activity = await loadActivity(ctx.tx, id, type);
  await ctx.tx.remove("activity", String(activity.id));
  await log(ctx, activity.id, "deleted");
  return { status: 200, body: renderActivity(activity, activity.legacy ? ctx.version : 3) };
}

export type ActivityAttribute = "name" | "state" | "priority" | "schedule";

/** PUT /activities[/ab|/xt]/{id}/{name|state|priority|schedule}: answers {id, <attribute fields>}. */
export async function updateAttribute(ctx: Ctx, type: ActivityType | undefined, id: string, attribute: ActivityAttribute, body: Body): Promise<Result> {
  const activity = await loadActivity(ctx.tx, id, type);
  const changes = attributeChanges(attribute, body);
  const startsAt = "startsAt" in changes ? changes.startsAt : activity.startsAt;
  const endsAt = "endsAt" in changes ? changes.endsAt : activity.endsAt;
  if (startsAt && endsAt && Date.parse(endsAt as string) <= Date.parse(startsAt as string)) throw fieldError("endsAt", "must be after startsAt");
  const updated = { ...activity, ...changes, modifiedAt: ctx.now } as Activity;
  for (const key of ["startsAt", "endsAt"] as const) if (updated[key] === undefined) delete updated[key];
  await ctx.tx.put("activity", String(activity.id), updated as unknown as Body);
  await log(ctx, activity.id, attribute, changes);
  return { status: 200, body: { id: activity.id, ...changes, modifiedAt: ctx.now } };
}

function attributeChanges(attribute: ActivityAttribute, body: Body): Record<string, unknown> {
  switch (attribute) {
    case "name":
      return { name: requiredText(body, "name") };
    case "state": {
      const state = oneOf(body, "state", ACTIVITY_STATES);
      if (state === undefined) throw fieldError("state", "is required");
      return { state };
    }
    case "priority":
      return { priority: integer(body, "priority", "priority", { min: 0, max: 999, required: true }) };
    case "schedule":
      return { startsAt: isoDate(body, "startsAt"), endsAt: isoDate(body, "endsAt") };
  }
}

export async function listActivities(ctx: Ctx, query: Query): Promise<Result> {
  const activities = (await ctx.tx.list("activity")) as unknown as Activity[];
  const summaries = activities.map((a) => {
    const s: Record<string, unknown> = { id: a.id, thirdPartyId: a.thirdPartyId, type: a.type, state: a.state, name: a.name, priority: a.priority, modifiedAt: a.modifiedAt };
    if (a.workspace !== undefined) s.workspace = a.workspace;
    if (a.startsAt !== undefined) s.startsAt = a.startsAt;
    if (a.endsAt !== undefined) s.endsAt = a.endsAt;
    if (s.thirdPartyId === undefined) delete s.thirdPartyId;
    return s;
  });
  const page = listPage(summaries, query, ACTIVITY_LIST);
  return { status: 200, body: { total: page.total, offset: page.offset, limit: page.limit, activities: page.items } };
}

export async function activityChangelog(ctx: Ctx, id: string, query: Query): Promise<Result> {
  const numeric = /^\d{1,15}$/.test(id) ? Number(id) : -1;
  const entries = ((await ctx.tx.list("changelog")) as unknown as ChangelogEntry[]).filter((e) => e.activityId === numeric);
  if (entries.length === 0) throw notFound(`No activity with id ${id}`);
  const page = listPage(
    entries.map(({ id: _id, ...e }) => e),
    query,
    { sortable: ["modifiedAt"], filters: {} },
  );
  return { status: 200, body: { total: page.total, offset: page.offset, limit: page.limit, activityChangelogs: page.items } };
}
