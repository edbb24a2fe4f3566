import type { Audience, Instant } from "./audiences";
import type { JsonValue } from "./json";

/** One visual (VEC) modification; `cssSelector` defaults to `selector`. */
export interface VecAction {
  type: "setHtml" | "setText" | "setStyle" | "setAttribute" | "insertBefore" | "insertAfter" | "remove" | "replace" | "customCode" | (string & {});
  selector: string;
  cssSelector?: string;
  content?: JsonValue;
}

/**
 * What an experience serves — at most one of the fields below. None at all = a blank option
 * (default content: only an eventToken, dropped from execute responses).
 */
export interface ExperienceContent {
  /** A json offer (`type: "json"`). */
  json?: JsonValue;
  /** Shorthand: a string is an html offer, anything else a json offer. */
  content?: JsonValue;
  /** An html offer (`type: "html"`). */
  html?: string;
  /** A redirect offer (`type: "redirect"`, content = URL). */
  redirect?: string;
  /** VEC modifications, one rule (location) per action (views and pageLoad only). */
  actions?: VecAction[];
}

export interface ExperienceSpec extends ExperienceContent {
  name: string;
  /** `experience.id`; default: the experience's index (0, 1, …). */
  id?: number;
  /** Audience(s) of this experience; several are ANDed. Required for XT except on the last experience. */
  audience?: Audience | readonly Audience[];
  /** `offer.id` / `offer.name` of a form-based offer; defaults are derived from the activity. */
  offer?: { id?: number; name?: string };
}

export interface AbExperienceSpec extends ExperienceSpec {
  /** Traffic share in percent (> 0, at most two decimals). All given summing to 100, or all omitted (even split). */
  weight?: number;
}

export interface MetricSpec {
  type: "click" | "display";
  selector?: string;
  /** Default: derived deterministically from client, activity and metric index. */
  eventToken?: string;
}

export interface ActivityBase {
  id: number;
  name: string;
  /** Rules apply only to requests carrying one of these property tokens (at_property). */
  propertyTokens?: readonly string[];
  /** Activity-level (entry) audience(s), ANDed into every rule. */
  audience?: Audience | readonly Audience[];
  /** Start/end of the activity; compiled into a `current_timestamp` guard. */
  schedule?: { start?: Instant; end?: Instant };
  /** 0–999, higher first; equal priorities keep the order the activities were added in. Default 5. */
  priority?: number;
  /** Metrics attached to every rule of the activity. */
  metrics?: readonly MetricSpec[];
}

export interface AbActivitySpec extends ActivityBase {
  mbox: string;
  experiences: readonly AbExperienceSpec[];
}

export interface XtActivitySpec extends ActivityBase {
  mbox: string;
  experiences: readonly ExperienceSpec[];
}

/** View / pageLoad activities: `type` defaults to "ab" when weights are given, otherwise "xt". */
export interface ViewActivitySpec extends ActivityBase {
  view: string;
  type?: "ab" | "xt";
  experiences: readonly AbExperienceSpec[];
}

export interface PageLoadActivitySpec extends ActivityBase {
  type?: "ab" | "xt";
  experiences: readonly AbExperienceSpec[];
}

export interface ArtifactBuilderOptions {
  /** Target client code (`meta.clientCode`). */
  client: string;
  organizationId: string;
  /** `meta.environment`; default "production". */
  environment?: string;
  workspace?: number | string;
  /** Response tokens the artifact may emit; default Target's usual list. */
  responseTokens?: readonly string[];
  /** Default: true iff some condition reads `geo.*`. */
  geoTargetingEnabled?: boolean;
  /** `meta.generatedAt`; omitted unless given (builds stay reproducible). */
  generatedAt?: Instant;
  /** Default "target-global-mbox". */
  globalMbox?: string;
}
