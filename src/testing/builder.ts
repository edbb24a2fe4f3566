import { DEFAULT_GLOBAL_MBOX, DEFAULT_RESPONSE_TOKENS, type Artifact, type ArtifactMeta, type ArtifactRule } from "../artifact/schema";
import type { Instant } from "./audiences";
import { assignAudienceIds, emitActivity, type EmittedRules } from "./emit";
import { invalid } from "./json";
import { planActivity, type PlannedActivity } from "./normalize";
import type { AbActivitySpec, ArtifactBuilderOptions, PageLoadActivitySpec, ViewActivitySpec, XtActivitySpec } from "./types";

export { DEFAULT_RESPONSE_TOKENS };

function nonEmpty(where: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") invalid(where, "expected a non-empty string");
  return value;
}

function isoDate(value: Instant): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) invalid("anArtifact", `invalid generatedAt ${String(value)}`);
  return new Date(ms).toISOString();
}

/**
 * Fluent builder of on-device rule artifacts, encoded exactly as Target encodes them. Activities
 * added first have the higher priority among equal `priority` values. Every method validates its
 * input and throws a DecisioningError (ODE_ERR_INVALID_OPTION) with a precise message. `build()`
 * returns a new plain-JSON object on every call; the builder keeps no reference to it.
 */
export class ArtifactBuilder {
  readonly #options: ArtifactBuilderOptions;
  readonly #activities: PlannedActivity[] = [];
  readonly #remoteMboxes = new Set<string>();
  readonly #remoteViews = new Set<string>();
  readonly #localMboxes = new Set<string>();
  readonly #localViews = new Set<string>();

  constructor(options: ArtifactBuilderOptions) {
    if (!options || typeof options !== "object") invalid("anArtifact", "expected an options object");
    nonEmpty("anArtifact: client", options.client);
    nonEmpty("anArtifact: organizationId", options.organizationId);
    if (options.environment !== undefined) nonEmpty("anArtifact: environment", options.environment);
    if (options.globalMbox !== undefined) nonEmpty("anArtifact: globalMbox", options.globalMbox);
    if (options.responseTokens !== undefined) {
      if (!Array.isArray(options.responseTokens)) invalid("anArtifact", "responseTokens must be an array of strings");
      options.responseTokens.forEach((t) => nonEmpty("anArtifact: responseTokens", t));
    }
    if (options.generatedAt !== undefined) isoDate(options.generatedAt);
    this.#options = { ...options, responseTokens: options.responseTokens ? [...options.responseTokens] : undefined };
  }

  #add(activity: PlannedActivity): this {
    if (this.#activities.some((a) => a.id === activity.id)) invalid("anArtifact", `duplicate activity id ${activity.id}`);
    this.#activities.push(activity);
    return this;
  }

  /** A form-based A/B activity on one mbox; experiences split traffic by `weight` (percent). */
  abActivity(spec: AbActivitySpec): this {
    return this.#add(planActivity("abActivity", { placement: "mbox", type: "ab", location: spec?.mbox, base: spec, experiences: spec?.experiences }));
  }

  /** A form-based Experience Targeting activity: the first experience whose audience matches wins. */
  xtActivity(spec: XtActivitySpec): this {
    return this.#add(planActivity("xtActivity", { placement: "mbox", type: "xt", location: spec?.mbox, base: spec, experiences: spec?.experiences }));
  }

  /** A VEC activity on an SPA view (`actions` per experience); A/B when weights are given, else XT. */
  viewActivity(spec: ViewActivitySpec): this {
    return this.#add(planActivity("viewActivity", { placement: "view", type: spec?.type, location: spec?.view, base: spec, experiences: spec?.experiences }));
  }

  /** An activity on the global mbox (pageLoad): VEC `actions`, or html/json offers; A/B when weights are given, else XT. */
  pageLoadActivity(spec: PageLoadActivitySpec): this {
    return this.#add(planActivity("pageLoadActivity", { placement: "pageLoad", type: spec?.type, location: "", base: spec, experiences: spec?.experiences }));
  }

  /** Declares an mbox decided only server-side (listed in `remoteMboxes`). */
  remoteMbox(name: string): this {
    this.#remoteMboxes.add(nonEmpty("remoteMbox", name));
    return this;
  }

  /** Declares a view decided only server-side (listed in `remoteViews`). */
  remoteView(name: string): this {
    this.#remoteViews.add(nonEmpty("remoteView", name));
    return this;
  }

  /** Declares an mbox as local even without rules (requests for it stay on-device and get a blank answer). */
  localMbox(name: string): this {
    this.#localMboxes.add(nonEmpty("localMbox", name));
    return this;
  }

  /** Declares a view as local even without rules. */
  localView(name: string): this {
    this.#localViews.add(nonEmpty("localView", name));
    return this;
  }

  /** The artifact as a fresh plain-JSON object. */
  build(): Artifact {
    const o = this.#options;
    const globalMbox = o.globalMbox ?? DEFAULT_GLOBAL_MBOX;
    const audienceId = assignAudienceIds(this.#activities);
    const emitted = this.#activities.map((a) => emitActivity(a, { client: o.client, globalMbox, audienceId }));
    const mboxes = groupByLocation(emitted, "mboxes");
    const views = groupByLocation(emitted, "views");
    assertUniqueEventTokens([...Object.values(mboxes), ...Object.values(views)].flat());

    const localMboxes = new Set([...this.#localMboxes, ...Object.keys(mboxes)]);
    const localViews = new Set([...this.#localViews, ...Object.keys(views)]);
    const usesGeo = JSON.stringify([mboxes, views]).includes('{"var":"geo.');
    const meta: ArtifactMeta = {};
    if (o.generatedAt !== undefined) meta.generatedAt = isoDate(o.generatedAt);
    meta.organizationId = o.organizationId;
    meta.clientCode = o.client;
    if (o.workspace !== undefined) meta.workspace = o.workspace;
    meta.environment = o.environment ?? "production";
    return {
      version: "1.0.0",
      meta,
      globalMbox,
      geoTargetingEnabled: o.geoTargetingEnabled ?? usesGeo,
      responseTokens: [...(o.responseTokens ?? DEFAULT_RESPONSE_TOKENS)],
      remoteMboxes: [...this.#remoteMboxes].sort(),
      remoteViews: [...this.#remoteViews].sort(),
      localMboxes: [...localMboxes].sort(),
      localViews: [...localViews].sort(),
      rules: { mboxes, views },
    };
  }
}

/** Rules per location; activities sorted by priority (desc), ties in the order they were added. */
function groupByLocation(emitted: readonly EmittedRules[], group: EmittedRules["group"]): Record<string, ArtifactRule[]> {
  const ordered = emitted
    .map((e, order) => ({ e, order }))
    .filter(({ e }) => e.group === group)
    .sort((x, y) => y.e.priority - x.e.priority || x.order - y.order);
  const out: Record<string, ArtifactRule[]> = {};
  for (const e of emitted) if (e.group === group && !Object.prototype.hasOwnProperty.call(out, e.location)) out[e.location] = [];
  for (const { e } of ordered) out[e.location]!.push(...e.rules);
  return out;
}

/** Distinct (activity, experience) pairs must never share an option eventToken. */
function assertUniqueEventTokens(rules: readonly ArtifactRule[]): void {
  const owner = new Map<string, string>();
  for (const rule of rules) {
    const who = `${rule.meta["activity.id"]}/${rule.meta["experience.id"]}`;
    for (const option of rule.consequence.options ?? []) {
      if (option.eventToken === undefined) continue;
      const previous = owner.get(option.eventToken);
      if (previous !== undefined && previous !== who) invalid("build", `eventToken collision between ${previous} and ${who}`);
      owner.set(option.eventToken, who);
    }
  }
}

/**
 * Starts an artifact builder.
 *
 * @example
 * ```ts
 * import { anArtifact, browserIs } from "on-device-decisioning/testing";
 * const artifact = anArtifact({ client: "acme", organizationId: "ACME@AdobeOrg" })
 *   .abActivity({ id: 1001, name: "Hero test", mbox: "hero", experiences: [
 *     { name: "A", weight: 50, json: { headline: "A" } },
 *     { name: "B", weight: 50, html: "<b>B</b>" } ] })
 *   .xtActivity({ id: 1002, name: "Firefox users", mbox: "promo", experiences: [
 *     { name: "FF", audience: browserIs("firefox"), json: { promo: "ff" } },
 *     { name: "Everyone else", json: { promo: "all" } } ] })
 *   .build();
 * ```
 */
export function anArtifact(options: ArtifactBuilderOptions): ArtifactBuilder {
  return new ArtifactBuilder(options);
}
