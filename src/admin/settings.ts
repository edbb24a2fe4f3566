/**
 * Environments, properties (with their at_property tokens), response tokens and the mbox
 * catalogue (derived from the activities and audiences that name mboxes).
 */
import { randomUUID } from "node:crypto";
import type { Activity, Audience, Environment, Property, ResponseToken } from "./model";
import { conflict, notFound } from "./errors";
import { fieldError, requiredText, text, type Body } from "./fields";
import { listPage, type ListSpec, type Query } from "./listing";
import { nextId } from "./tenant";
import type { Ctx, Result } from "./activities";

const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PROPERTY_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const RESPONSE_TOKEN = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
const NAMED = { sortable: ["id", "name"], filters: { id: "number", name: "text" } } as const;

const page = <T extends Record<string, unknown>>(key: string, items: T[], query: Query, spec: ListSpec = NAMED): Result => {
  const p = listPage(items, query, spec);
  return { status: 200, body: { total: p.total, offset: p.offset, limit: p.limit, [key]: p.items } };
};

export async function listEnvironments(ctx: Ctx, query: Query): Promise<Result> {
  const environments = ((await ctx.tx.list("environment")) as unknown as Environment[]).map(({ id, name }) => ({ id, name }));
  return page("environments", environments, query);
}

export async function createEnvironment(ctx: Ctx, body: Body): Promise<Result> {
  const name = requiredText(body, "name", "name", 64);
  if (!ENVIRONMENT_NAME.test(name)) throw fieldError("name", "must be 1-64 letters, digits, '_' or '-'");
  const existing = (await ctx.tx.list("environment")) as unknown as Environment[];
  if (existing.some((e) => e.name.toLowerCase() === name.toLowerCase())) throw conflict("Environment.Name.Duplicate", `environment "${name}" exists`, { name });
  const id = await nextId(ctx.tx, "environment");
  await ctx.tx.put("environment", String(id), { id, name, createdAt: ctx.now });
  return { status: 201, body: { id, name } };
}

export async function listProperties(ctx: Ctx, query: Query): Promise<Result> {
  const properties = ((await ctx.tx.list("property")) as unknown as Property[]).map(({ createdAt: _c, ...p }) => p);
  return page("properties", properties, query);
}

export async function createProperty(ctx: Ctx, body: Body): Promise<Result> {
  const name = requiredText(body, "name");
  const token = text(body, "token", "token", { max: 128 }) || randomUUID();
  if (!PROPERTY_TOKEN.test(token)) throw fieldError("token", "must be 1-128 letters, digits, '_' or '-'");
  const existing = (await ctx.tx.list("property")) as unknown as Property[];
  if (existing.some((p) => p.token === token)) throw conflict("Property.Token.Duplicate", `property token "${token}" is in use`, { token });
  const id = await nextId(ctx.tx, "property");
  const property: Property = { id, name, token, createdAt: ctx.now, modifiedAt: ctx.now };
  const description = text(body, "description", "description", { max: 2000 });
  if (description !== undefined) property.description = description;
  const workspace = text(body, "workspace");
  if (workspace !== undefined) property.workspace = workspace;
  await ctx.tx.put("property", String(id), property as unknown as Body);
  const { createdAt: _c, ...rendered } = property;
  return { status: 201, body: rendered };
}

export async function listResponseTokens(ctx: Ctx, query: Query): Promise<Result> {
  const tokens = ((await ctx.tx.list("responseToken")) as unknown as ResponseToken[]).map(({ name, status }) => ({ name, status }));
  return page("responseTokens", tokens, query, { sortable: ["name", "status"], filters: { name: "text", status: "text" } });
}

/** Response tokens are identified by name: the answer is 201 with the token and no id. */
export async function createResponseToken(ctx: Ctx, body: Body): Promise<Result> {
  const name = requiredText(body, "name");
  if (!RESPONSE_TOKEN.test(name)) throw fieldError("name", "must be a dotted name such as profile.tier");
  const status = body.status === undefined ? "active" : body.status;
  if (status !== "active" && status !== "inactive") throw fieldError("status", "must be active or inactive");
  if (await ctx.tx.get("responseToken", name)) throw conflict("ResponseToken.Duplicate", `response token "${name}" exists`, { name });
  await ctx.tx.put("responseToken", name, { name, status, createdAt: ctx.now });
  return { status: 201, body: { name, status } };
}

/** Mbox names used by activities (locations, entry constraints, metrics). */
async function mboxNames(ctx: Ctx): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const a of (await ctx.tx.list("activity")) as unknown as Activity[]) {
    const all = [...a.locations.mboxes.map((m) => m.name), ...(a.entryConstraint?.mboxes ?? []).map((m) => m.name), ...a.metrics.flatMap((m) => m.mboxes.map((mb) => mb.name))];
    for (const name of all) if ((names.get(name) ?? "") < a.modifiedAt) names.set(name, a.modifiedAt);
  }
  return names;
}

export async function listMboxes(ctx: Ctx, query: Query): Promise<Result> {
  const mboxes = [...(await mboxNames(ctx))].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, modifiedAt]) => ({ name, status: "active", modifiedAt }));
  return page("mboxes", mboxes, query, { sortable: ["name", "modifiedAt"], filters: { name: "text" } });
}

/** Parameters audiences test on this mbox (or on every mbox, "*"). */
export async function getMbox(ctx: Ctx, name: string): Promise<Result> {
  if (!(await mboxNames(ctx)).has(name)) throw notFound(`No mbox named "${name}"`);
  const parameters = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if ((record.mbox === name || record.mbox === "*") && typeof record.parameter === "string") parameters.add(record.parameter);
    Object.values(record).forEach(walk);
  };
  for (const audience of (await ctx.tx.list("audience")) as unknown as Audience[]) walk(audience.targetRule);
  return { status: 200, body: { name, mboxParameters: [...parameters].sort().map((p) => ({ name: p })) } };
}

/** Profile attribute names audiences use (`profile` rules). */
export async function profileAttributes(ctx: Ctx): Promise<Result> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if (typeof record.profile === "string") names.add(record.profile);
    Object.values(record).forEach(walk);
  };
  for (const audience of (await ctx.tx.list("audience")) as unknown as Audience[]) walk(audience.targetRule);
  return { status: 200, body: { mboxProfileAttributes: [...names].sort().map((name) => ({ name })) } };
}
