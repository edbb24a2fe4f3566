import type { Artifact, ArtifactMetric, ArtifactOption, ArtifactRule } from "../artifact/schema";
import {
  artifactMajorVersion,
  DEFAULT_GLOBAL_MBOX,
  SUPPORTED_ARTIFACT_MAJOR_VERSION,
} from "../artifact/schema";
import { DecisioningError } from "../errors";
import { allocationPrefix, type AllocationPrefix } from "./allocation";
import { checkCondition, compileCondition, type CompiledCondition } from "./conditions";
import { conditionReads, READS_ALL } from "./reads";
import { compileMacroTemplate, type OptionMacros } from "./shaping";
import type { ResponseOption } from "../protocol/delivery";

/**
 * Compiling an artifact happens once, when it arrives: rules are indexed by mbox and view name,
 * conditions become closures, and every per-rule piece of response shaping that does not depend on
 * the request (execute/prefetch option lists, display tokens, meta response tokens) is precomputed.
 * The compiled artifact is immutable; decisions share its frozen parts instead of cloning them.
 */

const META_TOKEN_KEYS = [
  "activity.id",
  "activity.name",
  "activity.type",
  "experience.id",
  "experience.name",
  "location.id",
  "location.name",
  "location.type",
  "offer.id",
  "offer.name",
  "option.id",
  "option.name",
] as const;

export interface CompiledRule {
  readonly rule: ArtifactRule;
  readonly ruleKey: string;
  readonly activityId: unknown;
  readonly condition: CompiledCondition;
  /** undefined when the rule applies to every property. */
  readonly propertyTokens: ReadonlySet<string> | undefined;
  readonly name: string;
  /** The consequence's keys other than name/options/metrics (kept as the reference does). */
  readonly extra: Readonly<Record<string, unknown>> | undefined;
  /** Options as shaped for execute: blank options dropped, eventTokens removed. */
  readonly executeOptions: readonly Readonly<ArtifactOption>[];
  /** Click metrics for execute, undefined when there are none. */
  readonly executeMetrics: readonly Readonly<ArtifactMetric>[] | undefined;
  /** Options as shaped for prefetch: eventToken kept or taken from the display metric at the same index. */
  readonly prefetchOptions: readonly Readonly<ArtifactOption>[];
  /** All metrics (kept for view prefetch only). */
  readonly metrics: readonly Readonly<ArtifactMetric>[];
  /** Whether `metrics` was present in the artifact (views keep the key, even empty). */
  readonly hasMetrics: boolean;
  /** The defined eventTokens of the raw options (display notifications of execute decisions). */
  readonly displayTokens: readonly string[];
  /** Response tokens taken from rule meta and allowed by the artifact. */
  readonly metaTokens: Readonly<Record<string, unknown>>;
  /** `metaTokens` plus the decisioning method: an option's response tokens when the request adds no geo token. */
  readonly baseTokens: Readonly<Record<string, unknown>>;
  /**
   * The response options of `executeOptions` / `prefetchOptions` as shared frozen objects (response
   * tokens: `baseTokens`), for requests that add no geo token; undefined where an option has macros.
   */
  readonly executeFinished: readonly (ResponseOption | undefined)[];
  readonly prefetchFinished: readonly (ResponseOption | undefined)[];
  /** `<name>-<token>` of each display token: what dedupes display notifications within a request. */
  readonly displayTokenKeys: readonly string[];
  /** Which parts of the rule context the condition can read (READS_* bits of ./reads). */
  readonly reads: number;
  /** The allocation hash prefix for the client it was last asked for (see {@link ruleAllocationPrefix}). */
  readonly allocationKey: { client: string | undefined; prefix: AllocationPrefix | undefined };
  /** Compiled campaign macros of the html/actions options that contain `${...}` (keyed by option object). */
  readonly macros: ReadonlyMap<Readonly<ArtifactOption>, OptionMacros> | undefined;
  readonly audienceIds: readonly unknown[];
}

/** The compiled rules of one mbox or view name, and what they can read. */
export interface CompiledLocation {
  readonly rules: readonly CompiledRule[];
  /** The READS_* bits of all `rules` together. */
  readonly reads: number;
}

/** The rules of one section by name (mboxes or views), compiled on first use. */
export interface RuleSection extends ReadonlyMap<string, readonly CompiledRule[]> {
  /** The rules of `name` and what they read; undefined for a name the artifact does not have. */
  location(name: string): CompiledLocation | undefined;
}

export interface CompiledArtifact {
  readonly artifact: Artifact;
  readonly version: string;
  readonly versionSupported: boolean;
  readonly globalMbox: string;
  readonly geoTargetingEnabled: boolean;
  readonly responseTokens: ReadonlySet<string>;
  readonly mboxes: RuleSection;
  readonly views: RuleSection;
  /** Every view rule, concatenated in the artifact's view key order ("all views"). */
  readonly allViewRules: readonly CompiledRule[];
  /** The READS_* bits of `allViewRules`. */
  readonly allViewReads: number;
  readonly remoteMboxes: readonly string[];
  readonly localMboxes: ReadonlySet<string>;
  readonly remoteViews: readonly string[];
  readonly localViews: ReadonlySet<string>;
  /** `remoteMboxes` / `remoteViews` as sets. */
  readonly remoteMboxSet: ReadonlySet<string>;
  readonly remoteViewSet: ReadonlySet<string>;
  /** Whether the artifact allows any geo response token (else an option's tokens are its rule's `baseTokens`). */
  readonly geoTokensAllowed: boolean;
  readonly ruleCount: number;
}

/** The decisioning-method response token every on-device option carries. */
export const DECISIONING_METHOD_TOKENS: Readonly<Record<string, unknown>> = Object.freeze({
  "activity.decisioningMethod": "on-device",
});

/** The allocation hash prefix of a rule's activity for `client` (memoised per rule for the last client). */
export function ruleAllocationPrefix(rule: CompiledRule, client: string): AllocationPrefix {
  const key = rule.allocationKey;
  if (key.client !== client || key.prefix === undefined) {
    key.prefix = allocationPrefix(client, rule.activityId);
    key.client = client;
  }
  return key.prefix;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function copyFrozen<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  return deepFreeze(structuredClone(value));
}

const MACRO_MARK = "${";

function optionMacros(option: ArtifactOption, meta: Record<string, unknown>): OptionMacros | undefined {
  if (option.type === "html") {
    if (typeof option.content !== "string" || !option.content.includes(MACRO_MARK)) return undefined;
    return { kind: "html", template: Object.freeze(compileMacroTemplate(option.content, meta)) };
  }
  if (option.type === "actions" && Array.isArray(option.content)) {
    let any = false;
    const templates = option.content.map((a: unknown) => {
      const text = a !== null && typeof a === "object" ? (a as { content?: unknown }).content : undefined;
      if (typeof text !== "string" || !text.includes(MACRO_MARK)) return undefined;
      any = true;
      return Object.freeze(compileMacroTemplate(text, meta));
    });
    return any ? { kind: "actions", templates: Object.freeze(templates) } : undefined;
  }
  return undefined;
}

function compileRule(rule: ArtifactRule, allowedTokens: ReadonlySet<string>): CompiledRule {
  const consequence = (rule.consequence ?? {}) as ArtifactRule["consequence"];
  const meta = (rule.meta ?? {}) as ArtifactRule["meta"];
  const rawOptions: ArtifactOption[] = Array.isArray(consequence.options) ? consequence.options : [];
  const hasMetrics = Array.isArray(consequence.metrics);
  const rawMetrics: ArtifactMetric[] = hasMetrics ? (consequence.metrics as ArtifactMetric[]) : [];
  const options = rawOptions.map((o) => copyFrozen(o ?? {}) as ArtifactOption);
  const metrics = rawMetrics.map((m) => copyFrozen(m ?? {}) as ArtifactMetric);

  const executeOptions = options
    .filter((o) => !(o.type === undefined && o.content === undefined))
    .map((o) => {
      if (!("eventToken" in o)) return o;
      const { eventToken: _dropped, ...rest } = o;
      return Object.freeze(rest);
    });
  const clicks = metrics.filter((m) => m.type === "click");
  const prefetchOptions = options.map((o, idx) => {
    if (o.eventToken !== undefined) return o;
    const metric = metrics[idx];
    if (metric && metric.type === "display" && metric.eventToken !== undefined) {
      return Object.freeze({ ...o, eventToken: metric.eventToken });
    }
    return o;
  });
  const displayTokens = rawOptions
    .map((o) => o?.eventToken)
    .filter((t): t is string => t !== undefined) as string[];

  const metaTokens: Record<string, unknown> = {};
  for (const key of META_TOKEN_KEYS) {
    if (allowedTokens.has(key) && meta[key] !== undefined) metaTokens[key] = copyFrozen(meta[key]);
  }

  let macros: Map<Readonly<ArtifactOption>, OptionMacros> | undefined;
  for (const option of new Set([...executeOptions, ...prefetchOptions])) {
    const m = optionMacros(option, meta as Record<string, unknown>);
    if (m) (macros ??= new Map()).set(option, m);
  }

  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(consequence)) {
    if (key === "name" || key === "options" || key === "metrics" || key === "index" || key === "trace")
      continue;
    (extra ??= {})[key] = copyFrozen(consequence[key]);
  }

  const tokens =
    Array.isArray(rule.propertyTokens) && rule.propertyTokens.length > 0
      ? new Set(rule.propertyTokens)
      : undefined;
  const audienceIds = Array.isArray(meta["audience.ids"]) ? meta["audience.ids"] : [];

  const baseTokens = Object.freeze({ ...metaTokens, ...DECISIONING_METHOD_TOKENS });
  const finished = (list: readonly ArtifactOption[]) =>
    Object.freeze(
      list.map((o) => (macros?.has(o) ? undefined : Object.freeze({ ...o, responseTokens: baseTokens }))),
    );

  return Object.freeze({
    rule,
    ruleKey: rule.ruleKey,
    activityId: meta["activity.id"],
    condition: compileCondition(rule.condition),
    propertyTokens: tokens,
    name: consequence.name,
    extra: extra ? Object.freeze(extra) : undefined,
    executeOptions: Object.freeze(executeOptions),
    executeMetrics: clicks.length > 0 ? Object.freeze(clicks) : undefined,
    prefetchOptions: Object.freeze(prefetchOptions),
    metrics: Object.freeze(metrics),
    hasMetrics,
    displayTokens: Object.freeze(displayTokens),
    metaTokens: Object.freeze(metaTokens),
    baseTokens,
    executeFinished: finished(executeOptions),
    prefetchFinished: finished(prefetchOptions),
    displayTokenKeys: Object.freeze(displayTokens.map((token) => `${consequence.name}-${token}`)),
    reads: conditionReads(rule.condition),
    allocationKey: { client: undefined, prefix: undefined },
    macros,
    audienceIds,
  });
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The READS_* bits that any of `rules` may read. */
export function unionReads(rules: readonly CompiledRule[]): number {
  let reads = 0;
  for (let i = 0; i < rules.length && reads !== READS_ALL; i++) reads |= rules[i]!.reads;
  return reads;
}

/**
 * The rules of one section (mboxes or views), compiled on first use per name and memoised (bounded
 * by the artifact itself). Loading an artifact therefore costs a validation walk, not a compile:
 * an mbox nobody requests is never compiled or copied.
 */
class LazyRuleMap implements RuleSection {
  readonly #source: Record<string, ArtifactRule[]>;
  readonly #names: readonly string[];
  readonly #cache = new Map<string, CompiledLocation>();
  readonly #tokens: ReadonlySet<string>;
  readonly ruleCount: number;

  constructor(source: Record<string, ArtifactRule[]> | undefined, tokens: ReadonlySet<string>) {
    this.#source = source && typeof source === "object" ? source : {};
    this.#names = Object.freeze(Object.keys(this.#source));
    this.#tokens = tokens;
    let n = 0;
    for (const name of this.#names) {
      const list = this.#source[name];
      if (!Array.isArray(list)) {
        throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `Rules for "${name}" are not an array`);
      }
      for (const rule of list) checkCondition(rule?.condition);
      n += list.length;
    }
    this.ruleCount = n;
  }

  get(name: string): readonly CompiledRule[] | undefined {
    return this.location(name)?.rules;
  }

  location(name: string): CompiledLocation | undefined {
    let location = this.#cache.get(name);
    if (location === undefined) {
      if (!hasOwn(this.#source, name)) return undefined;
      const rules = Object.freeze(this.#source[name]!.map((rule) => compileRule(rule, this.#tokens)));
      location = Object.freeze({ rules, reads: unionReads(rules) });
      this.#cache.set(name, location);
    }
    return location;
  }

  has(name: string): boolean {
    return hasOwn(this.#source, name);
  }

  get size(): number {
    return this.#names.length;
  }

  keys(): MapIterator<string> {
    return this.#names[Symbol.iterator]() as MapIterator<string>;
  }

  *entries(): MapIterator<[string, readonly CompiledRule[]]> {
    for (const name of this.#names) yield [name, this.get(name)!];
  }

  *values(): MapIterator<readonly CompiledRule[]> {
    for (const name of this.#names) yield this.get(name)!;
  }

  [Symbol.iterator](): MapIterator<[string, readonly CompiledRule[]]> {
    return this.entries();
  }

  forEach(
    fn: (
      value: readonly CompiledRule[],
      key: string,
      map: ReadonlyMap<string, readonly CompiledRule[]>,
    ) => void,
  ): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

/** Compiles an artifact. Throws a DecisioningError for an unknown json-logic operator. */
export function compileArtifact(artifact: Artifact): CompiledArtifact {
  if (!artifact || typeof artifact !== "object" || !artifact.rules || typeof artifact.rules !== "object") {
    throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", "The artifact has no rules object");
  }
  const allowedTokens = new Set(Array.isArray(artifact.responseTokens) ? artifact.responseTokens : []);
  const mboxes = new LazyRuleMap(artifact.rules.mboxes, allowedTokens);
  const views = new LazyRuleMap(artifact.rules.views, allowedTokens);
  let allViewRules: readonly CompiledRule[] | undefined;
  let allViewReads: number | undefined;
  const arr = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
  return Object.freeze({
    artifact,
    version: String(artifact.version),
    versionSupported: artifactMajorVersion(artifact.version) === SUPPORTED_ARTIFACT_MAJOR_VERSION,
    globalMbox: artifact.globalMbox || DEFAULT_GLOBAL_MBOX,
    geoTargetingEnabled: artifact.geoTargetingEnabled === true,
    responseTokens: allowedTokens,
    mboxes,
    views,
    get allViewRules(): readonly CompiledRule[] {
      if (!allViewRules) {
        const all: CompiledRule[] = [];
        for (const list of views.values()) all.push(...list);
        allViewRules = Object.freeze(all);
      }
      return allViewRules;
    },
    get allViewReads(): number {
      allViewReads ??= unionReads(this.allViewRules);
      return allViewReads;
    },
    remoteMboxes: Object.freeze([...arr(artifact.remoteMboxes)]),
    localMboxes: new Set(arr(artifact.localMboxes)),
    remoteViews: Object.freeze([...arr(artifact.remoteViews)]),
    localViews: new Set(arr(artifact.localViews)),
    remoteMboxSet: new Set(arr(artifact.remoteMboxes)),
    remoteViewSet: new Set(arr(artifact.remoteViews)),
    geoTokensAllowed: [...allowedTokens].some((token) => String(token).startsWith("geo.")),
    ruleCount: mboxes.ruleCount + views.ruleCount,
  });
}
