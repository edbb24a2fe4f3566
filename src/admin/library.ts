/**
 * Offers (content and JSON) and audiences (targetRule or audienceRule). An offer or audience still
 * referenced by an activity (or an audience by a composite audience) cannot be deleted (409).
 */
import jsonPatch from "fast-json-patch";
import type { Activity, Audience, AudienceRule, AudienceRuleNode, Offer, OfferType } from "./model";
import { referencedAudienceIds } from "./activity-payload";
import { conflict, invalid, notFound, unsupportedVersion } from "./errors";
import { array, fieldError, id, isRecord, oneOf, record, requiredText, text, type Body } from "./fields";
import { listPage, type Query } from "./listing";
import { nextId } from "./tenant";
import type { Ctx, Result } from "./activities";
import { AudienceReferenceError, createAudienceResolver } from "../publish/compiler/audiences";
import { compileTargetRule, TargetRuleError } from "../publish/compiler/target-rule";

const MAX_CONTENT = 256 * 1024;
const PAGE = { sortable: ["id", "name", "modifiedAt"], filters: { id: "number", name: "text" } } as const;

function numericId(raw: string, what: string): string {
  if (!/^\d{1,15}$/.test(raw)) throw notFound(`No ${what} with id ${raw}`);
  return String(Number(raw));
}

// ---------------------------------------------------------------------------------------------
// Offers

function offerContent(type: OfferType, body: Body): unknown {
  if (type === "content") return text(body, "content", "content", { required: true, max: MAX_CONTENT });
  let content = body.content;
  if (typeof content === "string") {
    if (content.length > MAX_CONTENT) throw fieldError("content", `must be at most ${MAX_CONTENT} characters`);
    try {
      content = JSON.parse(content) as unknown;
    } catch {
      throw fieldError("content", "must be a JSON object (or its JSON text)");
    }
  }
  if (!isRecord(content)) throw fieldError("content", "must be a JSON object");
  if (JSON.stringify(content).length > MAX_CONTENT) throw fieldError("content", `must be at most ${MAX_CONTENT} characters as JSON`);
  return content;
}

/** JSON offers exist from version 2 on; content offers in every version. */
function checkOfferVersion(type: OfferType, version: number): void {
  if (type === "json" && version < 2) throw unsupportedVersion("JSON offers need application/vnd.adobe.target.v2+json");
  if (version > 2) throw unsupportedVersion("offers are served by version 1 and 2 of the API");
}

function renderOffer(offer: Offer): Record<string, unknown> {
  const { type: _type, createdAt: _created, ...rest } = offer;
  return rest;
}

async function loadOffer(ctx: Ctx, type: OfferType | undefined, raw: string): Promise<Offer> {
  const offer = (await ctx.tx.get("offer", numericId(raw, "offer"))) as Offer | undefined;
  if (!offer || (type !== undefined && offer.type !== type)) throw notFound(`No ${type ?? ""} offer with id ${raw}`);
  return offer;
}

export async function createOffer(ctx: Ctx, type: OfferType, body: Body): Promise<Result> {
  checkOfferVersion(type, ctx.version);
  const offer: Offer = { id: 0, type, name: requiredText(body, "name"), content: offerContent(type, body), createdAt: ctx.now, modifiedAt: ctx.now };
  const workspace = text(body, "workspace");
  if (workspace !== undefined) offer.workspace = workspace;
  offer.id = await nextId(ctx.tx, "offer");
  await ctx.tx.put("offer", String(offer.id), offer as unknown as Body);
  return { status: 201, body: renderOffer(offer) };
}

export async function getOffer(ctx: Ctx, type: OfferType, raw: string): Promise<Result> {
  checkOfferVersion(type, ctx.version);
  return { status: 200, body: renderOffer(await loadOffer(ctx, type, raw)) };
}

export async function replaceOffer(ctx: Ctx, type: OfferType, raw: string, body: Body): Promise<Result> {
  checkOfferVersion(type, ctx.version);
  const current = await loadOffer(ctx, type, raw);
  const offer: Offer = { ...current, name: requiredText(body, "name"), content: offerContent(type, body), modifiedAt: ctx.now };
  const workspace = text(body, "workspace");
  if (workspace !== undefined) offer.workspace = workspace;
  await ctx.tx.put("offer", String(offer.id), offer as unknown as Body);
  return { status: 200, body: renderOffer(offer) };
}

export async function deleteOffer(ctx: Ctx, type: OfferType, raw: string): Promise<Result> {
  checkOfferVersion(type, ctx.version);
  const offer = await loadOffer(ctx, type, raw);
  const user = ((await ctx.tx.list("activity")) as unknown as Activity[]).find((a) => a.options.some((o) => o.offerId === offer.id));
  if (user) throw conflict("Offer.InUse", `offer ${offer.id} is used by activity ${user.id}`, { activityId: user.id });
  await ctx.tx.remove("offer", String(offer.id));
  return { status: 200, body: renderOffer(offer) };
}

export async function listOffers(ctx: Ctx, query: Query): Promise<Result> {
  const offers = ((await ctx.tx.list("offer")) as unknown as Offer[]).map((o) => ({ id: o.id, name: o.name, type: o.type, modifiedAt: o.modifiedAt, ...(o.workspace ? { workspace: o.workspace } : {}) }));
  const page = listPage(offers, query, { sortable: ["id", "name", "type", "modifiedAt"], filters: { id: "number", name: "text", type: "text" } });
  return { status: 200, body: { total: page.total, offset: page.offset, limit: page.limit, offers: page.items } };
}

// ---------------------------------------------------------------------------------------------
// Audiences

const MAX_COMPOSITE_RULES = 100;

function parseAudienceRule(value: unknown, field: string, depth = 0): AudienceRule {
  if (depth > 16) throw fieldError(field, "nested deeper than 16 levels");
  const rule = record(value, field);
  const restRuleOperator = oneOf(rule, "restRuleOperator", ["AND", "OR", "NOT"] as const, `${field}.restRuleOperator`);
  if (restRuleOperator === undefined) throw fieldError(`${field}.restRuleOperator`, "is required (AND, OR or NOT)");
  const rules = array(rule, "rules", `${field}.rules`, { required: true, max: MAX_COMPOSITE_RULES }).map((node, i): AudienceRuleNode => {
    const where = `${field}.rules[${i}]`;
    const n = record(node, where);
    if (n.audienceId !== undefined) return { audienceId: id(n.audienceId, `${where}.audienceId`) };
    if (n.restRuleOperator !== undefined) return parseAudienceRule(n, where, depth + 1);
    throw fieldError(where, "must be {audienceId} or a nested {restRuleOperator, rules}");
  });
  if (rules.length === 0) throw fieldError(`${field}.rules`, "must not be empty");
  return { restRuleOperator, rules };
}

function audienceDraft(body: Body, ctx: Ctx, base?: Audience): Audience {
  const hasTarget = body.targetRule !== undefined && body.targetRule !== null;
  const hasComposite = body.audienceRule !== undefined && body.audienceRule !== null;
  if (hasTarget && hasComposite) throw invalid("Audience.Rule.Invalid", "an audience has a targetRule or an audienceRule, never both", { field: "targetRule" });
  const audience: Audience = {
    id: base?.id ?? 0,
    name: requiredText(body, "name"),
    origin: oneOf(body, "origin", ["target", "cloud"] as const) ?? base?.origin ?? "target",
    type: oneOf(body, "type", ["reusable", "anonymous", "property"] as const) ?? base?.type ?? "reusable",
    status: "saved",
    createdAt: base?.createdAt ?? ctx.now,
    modifiedAt: ctx.now,
  };
  const description = text(body, "description", "description", { max: 2000 });
  if (description !== undefined) audience.description = description;
  const workspace = text(body, "workspace");
  if (workspace !== undefined) audience.workspace = workspace;
  if (hasTarget) {
    try {
      compileTargetRule(body.targetRule);
    } catch (err) {
      if (err instanceof TargetRuleError) throw invalid("Audience.Rule.Invalid", err.message, { field: err.path });
      throw err;
    }
    audience.targetRule = body.targetRule;
  } else if (hasComposite) {
    audience.audienceRule = parseAudienceRule(body.audienceRule, "audienceRule");
  } else {
    throw invalid("Audience.Rule.Invalid", "an audience needs a targetRule or an audienceRule", { field: "targetRule" });
  }
  return audience;
}

/** Resolves the audience graph with `audience` in place: unknown references and cycles → 400. */
async function checkAudienceGraph(ctx: Ctx, audience: Audience): Promise<void> {
  const all = new Map(((await ctx.tx.list("audience")) as unknown as Audience[]).filter((a) => a.status !== "deleted").map((a) => [a.id, a]));
  all.set(audience.id, audience);
  try {
    createAudienceResolver((id) => all.get(id)).resolve(audience.id);
  } catch (err) {
    if (err instanceof AudienceReferenceError) {
      const cycle = /cycle/.test(err.message);
      throw invalid(cycle ? "Audience.Reference.Cycle" : "Audience.Reference.Invalid", err.message, { field: "audienceRule", ...(err.audienceId !== undefined ? { audienceId: err.audienceId } : {}) });
    }
    throw err;
  }
}

const renderAudience = (a: Audience) => a;

async function loadAudience(ctx: Ctx, raw: string): Promise<Audience> {
  const audience = (await ctx.tx.get("audience", numericId(raw, "audience"))) as Audience | undefined;
  if (!audience || audience.status === "deleted") throw notFound(`No audience with id ${raw}`);
  return audience;
}

export async function createAudience(ctx: Ctx, body: Body): Promise<Result> {
  const audience = audienceDraft(body, ctx);
  audience.id = await nextId(ctx.tx, "audience");
  await checkAudienceGraph(ctx, audience);
  await ctx.tx.put("audience", String(audience.id), audience as unknown as Body);
  return { status: 201, body: renderAudience(audience) };
}

export async function getAudience(ctx: Ctx, raw: string): Promise<Result> {
  return { status: 200, body: renderAudience(await loadAudience(ctx, raw)) };
}

const MAX_PATCH_OPERATIONS = 100;

/** RFC 6902 operations (`[{op, path, value}]`) applied to a copy of the audience's editable fields. */
function applyJsonPatch(current: Audience, operations: unknown[]): Body {
  if (operations.length > MAX_PATCH_OPERATIONS) throw invalid("Request.Invalid", `at most ${MAX_PATCH_OPERATIONS} patch operations`);
  const { id: _id, createdAt: _c, modifiedAt: _m, status: _s, ...editable } = current;
  try {
    return jsonPatch.applyPatch(structuredClone(editable), operations as Parameters<typeof jsonPatch.applyPatch>[1], true, true, true).newDocument as Body;
  } catch (err) {
    throw invalid("Request.Invalid", `JSON Patch: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
}

export async function replaceAudience(ctx: Ctx, raw: string, body: Body | unknown[], patch: boolean): Promise<Result> {
  const current = await loadAudience(ctx, raw);
  if (Array.isArray(body)) {
    if (!patch) throw invalid("Request.Invalid", "The request body must be a JSON object");
    const audience = audienceDraft(applyJsonPatch(current, body), ctx, current);
    await checkAudienceGraph(ctx, audience);
    await ctx.tx.put("audience", String(audience.id), audience as unknown as Body);
    return { status: 200, body: renderAudience(audience) };
  }
  let merged = body;
  if (patch) {
    const { targetRule, audienceRule, ...rest } = current;
    // A patch that sets one kind of rule replaces the other kind.
    const keepRule = body.targetRule === undefined && body.audienceRule === undefined ? { targetRule, audienceRule } : {};
    merged = { ...rest, ...keepRule, ...body };
  }
  const audience = audienceDraft(merged, ctx, current);
  await checkAudienceGraph(ctx, audience);
  await ctx.tx.put("audience", String(audience.id), audience as unknown as Body);
  return { status: 200, body: renderAudience(audience) };
}

export async function deleteAudience(ctx: Ctx, raw: string): Promise<Result> {
  const audience = await loadAudience(ctx, raw);
  const activity = ((await ctx.tx.list("activity")) as unknown as Activity[]).find((a) => referencedAudienceIds(a).includes(audience.id));
  if (activity) throw conflict("Audience.InUse", `audience ${audience.id} is used by activity ${activity.id}`, { activityId: activity.id });
  const refersTo = (rule: AudienceRule): boolean => rule.rules.some((n) => ("audienceId" in n ? n.audienceId === audience.id : refersTo(n)));
  const composite = ((await ctx.tx.list("audience")) as unknown as Audience[]).find((a) => a.audienceRule && a.status !== "deleted" && refersTo(a.audienceRule));
  if (composite) throw conflict("Audience.InUse", `audience ${audience.id} is used by audience ${composite.id}`, { audienceId: composite.id });
  await ctx.tx.remove("audience", String(audience.id));
  return { status: 200, body: renderAudience(audience) };
}

export async function listAudiences(ctx: Ctx, query: Query): Promise<Result> {
  const audiences = ((await ctx.tx.list("audience")) as unknown as Audience[]).filter((a) => a.status !== "deleted");
  const page = listPage(audiences as unknown as Record<string, unknown>[], query, PAGE);
  return { status: 200, body: { total: page.total, offset: page.offset, limit: page.limit, audiences: page.items } };
}
