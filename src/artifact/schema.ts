/** Wire types of the on-device rule artifact (rules.json); docs/target-behaviour.md#shape. */

export type JsonLogic = unknown;

export interface ArtifactOption {
  type?: "html" | "json" | "actions" | "redirect" | "dynamic" | string;
  content?: unknown;
  eventToken?: string;
  responseTokens?: Record<string, unknown>;
}

export interface ArtifactMetric {
  type: "click" | "display" | string;
  eventToken?: string;
  selector?: string;
}

export interface ArtifactConsequence {
  name: string;
  options?: ArtifactOption[];
  metrics?: ArtifactMetric[];
  [key: string]: unknown;
}

export interface ArtifactRuleMeta {
  "activity.id"?: number;
  "activity.name"?: string;
  "activity.type"?: string;
  "experience.id"?: number;
  "experience.name"?: string;
  "location.id"?: number;
  "location.name"?: string;
  "location.type"?: string;
  "audience.ids"?: number[];
  "offer.id"?: number;
  "offer.name"?: string;
  "option.id"?: number;
  "option.name"?: string;
  [key: string]: unknown;
}

export interface ArtifactRule {
  ruleKey: string;
  activityId?: number;
  propertyTokens?: string[];
  condition: JsonLogic;
  consequence: ArtifactConsequence;
  meta: ArtifactRuleMeta;
}

export interface ArtifactMeta {
  generatedAt?: string;
  organizationId?: string;
  clientCode?: string;
  workspace?: number | string;
  environment?: number | string;
  [key: string]: unknown;
}

export interface Artifact {
  version: string;
  meta?: ArtifactMeta;
  globalMbox?: string;
  geoTargetingEnabled?: boolean;
  responseTokens?: string[];
  remoteMboxes?: string[];
  localMboxes?: string[];
  remoteViews?: string[];
  localViews?: string[];
  rules: {
    mboxes?: Record<string, ArtifactRule[]>;
    views?: Record<string, ArtifactRule[]>;
  };
  [key: string]: unknown;
}

export const SUPPORTED_ARTIFACT_MAJOR_VERSION = 1;

/** The integer before the first "." of `version`, as the reference reads it (NaN when absent). */
export function artifactMajorVersion(version: unknown): number {
  return parseInt(String(version).split(".")[0] ?? "", 10);
}
export const DEFAULT_GLOBAL_MBOX = "target-global-mbox";

/** The response tokens Target enables by default (the list real artifacts carry). */
export const DEFAULT_RESPONSE_TOKENS: readonly string[] = Object.freeze([
  "activity.id",
  "activity.name",
  "experience.id",
  "experience.name",
  "geo.city",
  "geo.country",
  "geo.state",
  "offer.id",
  "offer.name",
  "option.id",
  "option.name",
]);
