/**
 * The authored objects of a tenant, as the Admin API stores them (the v3 "options" model; older
 * payloads are normalised into it on the way in). Plain JSON only: every adapter stores these
 * documents as they are, and the artifact compiler reads them. The model lives beside the
 * compiler because the Admin API (src/admin) depends on publishing, not the other way round.
 * See docs/admin-api.md.
 */
export { DEFAULT_RESPONSE_TOKENS } from "../../artifact/schema";

export type ActivityType = "ab" | "xt";
export type ActivityState = "approved" | "saved" | "deactivated" | "deleted";
export const ACTIVITY_STATES: readonly ActivityState[] = ["approved", "saved", "deactivated", "deleted"];

export interface LocationMbox {
  locationLocalId: number;
  name: string;
  audienceIds: number[];
}

export interface EntryConstraint {
  mboxes: { name: string; audienceIds: number[] }[];
  /** Share of visitors entering the activity, 1–100 (default 100). */
  visitorPercentage: number;
}

export interface ActivityOption {
  optionLocalId: number;
  name?: string;
  offerId: number;
}

export interface OptionLocation {
  locationLocalId: number;
  optionLocalId: number;
}

export interface Experience {
  experienceLocalId: number;
  name: string;
  audienceIds: number[];
  /** A/B only: integer share of the activity's traffic; the experiences sum to 100. */
  visitorPercentage?: number;
  optionLocations: OptionLocation[];
}

export interface ActivityMetricMbox {
  name: string;
  successEvent: "mbox_shown" | "mbox_clicked";
  audienceId?: number;
}

export interface ActivityMetric {
  metricLocalId: number;
  name?: string;
  conversion?: boolean;
  mboxes: ActivityMetricMbox[];
  action?: Record<string, unknown>;
}

export interface Activity {
  id: number;
  type: ActivityType;
  thirdPartyId?: string;
  name: string;
  state: ActivityState;
  /** 0–999, higher wins. */
  priority: number;
  startsAt?: string;
  endsAt?: string;
  workspace?: string;
  propertyIds: number[];
  entryConstraint?: EntryConstraint;
  locations: { mboxes: LocationMbox[]; selectors?: unknown[] };
  options: ActivityOption[];
  experiences: Experience[];
  metrics: ActivityMetric[];
  /** Opaque authored fields kept and returned as given (reportingAudiences, analytics, …). */
  extras?: Record<string, unknown>;
  /** true when authored in the legacy (v1/v2) offerLocations shape: readable with every version. */
  legacy: boolean;
  createdAt: string;
  modifiedAt: string;
}

export type AudienceRuleOperator = "AND" | "OR" | "NOT";

/** A composite audience: an operator over referenced audiences (or nested composites). */
export interface AudienceRule {
  restRuleOperator: AudienceRuleOperator;
  rules: AudienceRuleNode[];
}
export type AudienceRuleNode = { audienceId: number } | AudienceRule;

export interface Audience {
  id: number;
  name: string;
  description?: string;
  origin: "target" | "cloud";
  type: "reusable" | "anonymous" | "property";
  status: "saved" | "deleted";
  targetRule?: unknown;
  audienceRule?: AudienceRule;
  workspace?: string;
  createdAt: string;
  modifiedAt: string;
}

export type OfferType = "content" | "json";

export interface Offer {
  id: number;
  type: OfferType;
  name: string;
  /** html text for content offers; any JSON value (normally an object) for json offers. */
  content: unknown;
  workspace?: string;
  createdAt: string;
  modifiedAt: string;
}

export interface Environment {
  id: number;
  name: string;
  createdAt: string;
}

export interface Property {
  id: number;
  name: string;
  description?: string;
  /** The at_property token requests carry; generated when not given. */
  token: string;
  workspace?: string;
  createdAt: string;
  modifiedAt: string;
}

/** Response tokens are identified by their name (e.g. "profile.tier"). */
export interface ResponseToken {
  name: string;
  status: "active" | "inactive";
  createdAt: string;
}

export interface ChangelogEntry {
  id: number;
  activityId: number;
  action: "created" | "updated" | "deleted" | "name" | "state" | "priority" | "schedule";
  modifiedAt: string;
  /** What the change set, for attribute updates (e.g. {"state": "deactivated"}). */
  details?: Record<string, unknown>;
}

/** A published artifact of one environment (and property token, "" = none). */
export interface PublishedArtifact {
  environment: string;
  propertyToken: string;
  /** The artifact as served (JSON text). */
  json: string;
  /** SHA-256 of `json` (hex): the ETag of rules.json. */
  hash: string;
  /** SHA-256 of the artifact without `meta.generatedAt`: detects "nothing changed". */
  contentHash: string;
  /** rules.bin bytes, base64 (deterministic key derived from the content hash). */
  bin: string;
  binHash: string;
  generatedAt: string;
}

/** Everything the compiler needs from one tenant. */
export interface TenantSnapshot {
  tenant: string;
  activities: Activity[];
  audiences: Audience[];
  offers: Offer[];
  environments: Environment[];
  properties: Property[];
  responseTokens: ResponseToken[];
}
