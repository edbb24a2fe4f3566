import type { Activity, Audience, Experience, Offer, TenantSnapshot } from "../../src/admin/model";
import { DEFAULT_RESPONSE_TOKENS } from "../../src/testing/builder";

const T0 = "2026-01-01T00:00:00.000Z";

export function audience(id: number, targetRule: unknown, extra: Partial<Audience> = {}): Audience {
  return { id, name: `audience ${id}`, origin: "target", type: "reusable", status: "saved", targetRule, createdAt: T0, modifiedAt: T0, ...extra };
}

export function composite(id: number, audienceRule: Audience["audienceRule"]): Audience {
  return { id, name: `composite ${id}`, origin: "target", type: "reusable", status: "saved", audienceRule, createdAt: T0, modifiedAt: T0 };
}

export function offer(id: number, content: unknown, type: Offer["type"] = typeof content === "string" ? "content" : "json"): Offer {
  return { id, type, name: `offer ${id}`, content, createdAt: T0, modifiedAt: T0 };
}

export interface ExperienceInput {
  name?: string;
  audienceIds?: number[];
  percent?: number;
  offerId?: number;
}

/** An activity on one mbox (location 0) whose experience i serves offer `offerId` as option i+1. */
export function activity(
  id: number,
  type: "ab" | "xt",
  mbox: string,
  experiences: ExperienceInput[],
  extra: Partial<Activity> & { locationAudienceIds?: number[] } = {},
): Activity {
  const { locationAudienceIds, ...rest } = extra;
  const options = experiences.flatMap((e, i) => (e.offerId === undefined ? [] : [{ optionLocalId: i + 1, offerId: e.offerId }]));
  const exps: Experience[] = experiences.map((e, i) => ({
    experienceLocalId: i,
    name: e.name ?? `Experience ${String.fromCharCode(65 + i)}`,
    audienceIds: e.audienceIds ?? [],
    ...(type === "ab" ? { visitorPercentage: e.percent ?? 0 } : {}),
    optionLocations: e.offerId === undefined ? [] : [{ locationLocalId: 0, optionLocalId: i + 1 }],
  }));
  return {
    id,
    type,
    name: `activity ${id}`,
    state: "approved",
    priority: 5,
    propertyIds: [],
    locations: { mboxes: [{ locationLocalId: 0, name: mbox, audienceIds: locationAudienceIds ?? [] }] },
    options,
    experiences: exps,
    metrics: [],
    legacy: false,
    createdAt: T0,
    modifiedAt: T0,
    ...rest,
  };
}

export function snapshot(parts: Partial<TenantSnapshot> = {}): TenantSnapshot {
  return {
    tenant: "acme",
    activities: [],
    audiences: [],
    offers: [],
    environments: [{ id: 1, name: "production", createdAt: T0 }],
    properties: [],
    responseTokens: DEFAULT_RESPONSE_TOKENS.map((name) => ({ name, status: "active" as const, createdAt: T0 })),
    ...parts,
  };
}

export const NOW = Date.parse("2026-06-01T00:00:00.000Z");
