import { allocationWithPrefix, visitorIdForAllocation } from "./allocation";
import { ruleAllocationPrefix, type CompiledArtifact, type CompiledRule } from "./compile";
import { DecisioningError } from "../errors";
import { isTruthy } from "./conditions";
import { RequestContext } from "./context";
import { READS_ALL } from "./reads";
import { remoteDependency, type RemoteDependency } from "./remote-dependency";
import { finishOption, requestResponseTokens } from "./shaping";
import { createTraceEnvelope, jsonCopy, ModeTracer } from "./trace";
import type {
  DeliveryRequest,
  DeliveryResponse,
  MboxResponse,
  Notification,
  PageLoadResponse,
  RequestDetails,
  ResponseMetric,
  ResponseOption,
  VisitorId,
} from "../protocol/delivery";

/**
 * The decision: pure and synchronous. Given a compiled artifact and a validated Delivery request,
 * produce the Delivery response exactly as Target's on-device engine does, plus the display
 * notifications of the execute decisions. No I/O, no timers, no globals.
 */

export type Mode = "execute" | "prefetch";
type RequestType = "mbox" | "view";

export interface DecideOptions {
  client: string;
  /** Epoch milliseconds of this decision (request time). */
  now: number;
  /** Random id generator (32 hex chars in the reference). */
  uuid: () => string;
  sessionId?: string;
  /** The `artifact` object shown in traces. */
  traceArtifact?: unknown;
  /** The request's remote dependency when the caller already computed it (same artifact, same request). */
  dependency?: RemoteDependency;
}

export interface Decision {
  /** The Delivery API response: 206 when part of the request needs the remote side, else 200. */
  response: DeliveryResponse & { status: number };
  notifications: Notification[];
  /** What the artifact cannot decide (kept beside the wire response, never inside it). */
  dependency: RemoteDependency;
  /** Rules whose condition threw; they are treated as not matching (the reference rejects the call). */
  ruleErrors: number;
  /** Rules whose condition exceeded its evaluation budget (ODE_ERR_CONDITION_BUDGET); counted in ruleErrors too. */
  budgetExceeded: number;
}

/**
 * Fills what the engine's request validation fills (docs/target-behaviour.md#request-validation),
 * except the geo lookup, which the client performs before: a generated tntId when the request has
 * no usable visitor id, a requestId, and `context.geo`. Returns a new request; the input is not
 * modified.
 */
export function prepareDecisionRequest(
  request: DeliveryRequest,
  targetLocationHint: string | undefined,
  uuid: () => string,
  geo?: Record<string, unknown>,
): DeliveryRequest {
  let id = request.id;
  if (!hasUsableVisitorId(id)) {
    const hint =
      typeof targetLocationHint === "string" && targetLocationHint.trim() !== ""
        ? `.${targetLocationHint}_0`
        : "";
    id = { ...(id ?? {}), tntId: `${uuid()}${hint}` };
  }
  const context = request.context;
  const currentGeo = context?.geo as Record<string, unknown> | undefined;
  const finalGeo = geo ?? currentGeo ?? {};
  return {
    ...request,
    // The context is shared when its geo stays; it is only read from here on.
    context: context && finalGeo === currentGeo ? context : { ...(context ?? {}), geo: finalGeo },
    id,
    requestId: request.requestId || uuid(),
  };
}

/** Whether the request names its visitor (else the engine generates a tntId). */
function hasUsableVisitorId(id: VisitorId | undefined): id is VisitorId {
  if (!id) return false;
  if (id.tntId || id.marketingCloudVisitorId || id.thirdPartyId) return true;
  return (
    Array.isArray(id.customerIds) &&
    id.customerIds.some((c) => c && c.authenticatedState === "authenticated" && c.id)
  );
}

class DecisionRun {
  readonly notifications: Notification[] = [];
  // Display-token keys already notified: the first rule's keys, then a set once a second rule notifies.
  #firstKeys: readonly string[] | undefined;
  #seenTokens: Set<string> | undefined;
  // The allocation of the last activity asked for (rules of one activity come in a row).
  #lastActivity: unknown = NO_ACTIVITY;
  #lastAllocation = 0;
  #allocations: Map<unknown, number> | undefined;
  #visitorId: string | undefined;
  #requestTokens: Record<string, unknown> | undefined;
  readonly #propertyToken: string | undefined;
  readonly #traceEnvelope: ReturnType<typeof createTraceEnvelope> | undefined;
  ruleErrors = 0;
  /** Of ruleErrors, the conditions stopped by their evaluation budget. */
  budgetExceeded = 0;

  constructor(
    private readonly compiled: CompiledArtifact,
    private readonly request: DeliveryRequest,
    private readonly context: RequestContext,
    private readonly options: DecideOptions,
  ) {
    const token = request.property?.token;
    this.#propertyToken = token === undefined ? undefined : String(token);
    this.#traceEnvelope =
      request.trace !== undefined
        ? createTraceEnvelope(options.client, options.traceArtifact, request.id, options.sessionId)
        : undefined;
  }

  #allocation(rule: CompiledRule): number {
    const activityId = rule.activityId;
    if (activityId === this.#lastActivity) return this.#lastAllocation;
    if (this.#lastActivity !== NO_ACTIVITY)
      (this.#allocations ??= new Map()).set(this.#lastActivity, this.#lastAllocation);
    let value = this.#allocations?.get(activityId);
    if (value === undefined) {
      this.#visitorId ??= visitorIdForAllocation(this.request.id, this.options.uuid);
      value = allocationWithPrefix(ruleAllocationPrefix(rule, this.options.client), this.#visitorId);
    }
    this.#lastActivity = activityId;
    this.#lastAllocation = value;
    return value;
  }

  /** The geo response tokens of this request, or undefined when the artifact allows none or the request has none. */
  #geoTokens(): Record<string, unknown> | undefined {
    if (!this.compiled.geoTokensAllowed) return undefined;
    if (this.#requestTokens === undefined) {
      const geo = this.request.context?.geo;
      if (geo === undefined || geo === null || !hasGeoValue(geo)) return undefined;
      this.#requestTokens = requestResponseTokens(this.compiled.responseTokens, this.context.geo);
    }
    return Object.keys(this.#requestTokens).length > 1 ? this.#requestTokens : undefined;
  }

  #propertyAllows(rule: CompiledRule): boolean {
    const tokens = rule.propertyTokens;
    if (tokens === undefined) return true;
    return this.#propertyToken !== undefined && tokens.has(this.#propertyToken);
  }

  #evaluate(rule: CompiledRule, ctx: Record<string, unknown>, tracer: ModeTracer | undefined): boolean {
    ctx.allocation = this.#allocation(rule);
    const ruleContext = tracer ? { ...ctx } : ctx;
    let matched: boolean;
    try {
      matched = isTruthy(rule.condition(ruleContext));
    } catch (err) {
      this.ruleErrors++;
      if (DecisioningError.is(err) && err.code === "ODE_ERR_CONDITION_BUDGET") this.budgetExceeded++;
      matched = false;
    }
    tracer?.traceRule(rule, ruleContext, matched);
    return matched;
  }

  /** The rule context of a detail, with the parts that `reads` names (all of them when tracing). */
  #ruleContext(
    reads: number,
    detail: Record<string, unknown>,
    tracer: ModeTracer | undefined,
  ): Record<string, unknown> {
    return this.context.ruleContext(
      tracer ? READS_ALL : reads,
      detail as RequestDetails,
    ) as unknown as Record<string, unknown>;
  }

  /** Shapes one matched consequence for its mode (docs/target-behaviour.md#response-shaping). */
  #consequence(
    rule: CompiledRule,
    detail: Record<string, unknown>,
    mode: Mode,
    requestType: RequestType,
    tracer: ModeTracer | undefined,
  ): MboxResponse {
    if (mode === "execute") this.#addNotification(rule, tracer);
    const source = mode === "execute" ? rule.executeOptions : rule.prefetchOptions;
    const finished = mode === "execute" ? rule.executeFinished : rule.prefetchFinished;
    const geoTokens = this.#geoTokens();
    const options: ResponseOption[] = new Array(source.length);
    for (let i = 0; i < source.length; i++) {
      // Shared frozen options where nothing depends on the request (as option content is shared).
      options[i] =
        (geoTokens === undefined ? finished[i] : undefined) ??
        finishOption(source[i]!, rule, detail, geoTokens);
    }
    const out: MboxResponse = { name: rule.name, options };
    if (mode === "execute") {
      if (rule.executeMetrics) out.metrics = rule.executeMetrics as ResponseMetric[];
    } else if (requestType === "view" && rule.hasMetrics) {
      out.metrics = rule.metrics as ResponseMetric[];
    }
    if (rule.extra) Object.assign(out, rule.extra);
    if (detail.index !== undefined) out.index = detail.index as number;
    if (tracer) out.trace = tracer.snapshot();
    return out;
  }

  #addNotification(rule: CompiledRule, tracer: ModeTracer | undefined): void {
    const traceList = tracer?.notificationsFor(rule);
    const all = rule.displayTokens;
    if (all.length === 0) return;
    const keys = rule.displayTokenKeys;
    let tokens: string[];
    if (this.#firstKeys === undefined) {
      // The first notification of the request: nothing to dedupe against but the rule's own tokens.
      this.#firstKeys = keys;
      tokens = all.length === 1 ? [all[0]!] : [...new Set(all)];
    } else {
      const seen = (this.#seenTokens ??= new Set(this.#firstKeys));
      tokens = [];
      for (let i = 0; i < all.length; i++) {
        if (seen.has(keys[i]!)) continue;
        seen.add(keys[i]!);
        tokens.push(all[i]!);
      }
      if (tokens.length === 0) return;
    }
    const notification: Notification = {
      id: this.options.uuid(),
      impressionId: this.options.uuid(),
      timestamp: this.options.now,
      type: "display",
      mbox: { name: rule.name },
      tokens,
    };
    traceList?.push(notification);
    this.notifications.push(notification);
  }

  /** Appends the mbox's consequences (or its blank entry) to `results`. */
  #mbox(
    mode: Mode,
    detail: Record<string, unknown>,
    tracer: ModeTracer | undefined,
    pageLoad: boolean,
    results: MboxResponse[],
  ): void {
    const name = detail.name;
    const isGlobal = name === this.compiled.globalMbox;
    tracer?.traceRequest(mode, "mbox", detail, this.context.page.url, this.context.page.domain);
    const location = typeof name === "string" ? this.compiled.mboxes.location(name) : undefined;
    const rules = location?.rules;
    const before = results.length;
    if (rules && rules.length > 0) {
      const ctx = this.#ruleContext(location.reads, detail, tracer);
      const matchedKeys = isGlobal ? new Set<string>() : undefined;
      for (const rule of rules) {
        if (!this.#propertyAllows(rule)) continue;
        if (matchedKeys?.has(rule.ruleKey)) continue;
        if (!this.#evaluate(rule, ctx, tracer)) continue;
        const consequence = this.#consequence(rule, detail, mode, "mbox", tracer);
        if (consequence.trace !== undefined && !pageLoad) consequence.trace = jsonCopy(consequence.trace);
        results.push(consequence);
        if (!matchedKeys) break;
        matchedKeys.add(rule.ruleKey);
      }
    }
    if (!isGlobal && results.length === before) {
      const blank: MboxResponse = { name: name as string };
      if (detail.index !== undefined) blank.index = detail.index as number;
      if (tracer) blank.trace = tracer.snapshot();
      results.push(blank);
    }
  }

  #views(mode: Mode, detail: Record<string, unknown>, tracer: ModeTracer | undefined): MboxResponse[] {
    tracer?.traceRequest(mode, "view", detail, this.context.page.url, this.context.page.domain);
    let rules: readonly CompiledRule[];
    let reads: number;
    if (Object.prototype.hasOwnProperty.call(detail, "name") && detail.name !== undefined) {
      const location =
        typeof detail.name === "string" ? this.compiled.views.location(detail.name) : undefined;
      rules = location?.rules ?? [];
      reads = location?.reads ?? 0;
    } else {
      rules = this.compiled.allViewRules;
      reads = this.compiled.allViewReads;
    }
    if (rules.length === 0) return [];
    const ctx = this.#ruleContext(reads, detail, tracer);
    const matchedKeys = new Set<string>();
    // Grouped by consequence name; a null-prototype object orders keys as the reference's object does.
    const grouped: Record<string, MboxResponse> = Object.create(null);
    for (const rule of rules) {
      if (!this.#propertyAllows(rule)) continue;
      if (matchedKeys.has(rule.ruleKey)) continue;
      if (!this.#evaluate(rule, ctx, tracer)) continue;
      matchedKeys.add(rule.ruleKey);
      const consequence = this.#consequence(rule, detail, mode, "view", tracer);
      if (consequence.trace !== undefined) consequence.trace = jsonCopy(consequence.trace);
      const previous = grouped[rule.name];
      if (!previous) {
        grouped[rule.name] = consequence;
      } else {
        grouped[rule.name] = {
          ...previous,
          options: [...(previous.options ?? []), ...(consequence.options ?? [])],
          metrics: [...(previous.metrics ?? []), ...(consequence.metrics ?? [])],
        };
      }
    }
    return Object.values(grouped);
  }

  #pageLoad(mode: Mode, detail: Record<string, unknown>, tracer: ModeTracer | undefined): PageLoadResponse {
    const asMbox = { ...detail, name: this.compiled.globalMbox };
    const consequences: MboxResponse[] = [];
    this.#mbox(mode, asMbox, tracer, true, consequences);
    const options: ResponseOption[] = [];
    const metrics = new Map<string, ResponseMetric>();
    let trace: Record<string, unknown> | undefined;
    for (const c of consequences) {
      if (c.trace !== undefined) trace = c.trace;
      if (c.options) options.push(...c.options);
      if (Array.isArray(c.metrics)) for (const m of c.metrics) metrics.set(String(m.eventToken), m);
    }
    const result: PageLoadResponse = { options };
    if (trace !== undefined) result.trace = trace;
    if (metrics.size > 0) result.metrics = [...metrics.values()];
    return result;
  }

  run(mode: Mode): Record<string, unknown> | undefined {
    const part = this.request[mode] as Record<string, unknown> | undefined | null;
    if (part === undefined || part === null) return undefined;
    const tracer = this.#traceEnvelope
      ? new ModeTracer(this.#traceEnvelope, this.compiled.artifact.meta?.environment)
      : undefined;
    const out: Record<string, unknown> = {};
    if (Array.isArray(part.mboxes)) {
      const list: MboxResponse[] = [];
      for (const item of part.mboxes) this.#mbox(mode, asDetail(item), tracer, false, list);
      out.mboxes = list;
    }
    if (Array.isArray(part.views)) {
      const list: MboxResponse[] = [];
      for (const item of part.views) list.push(...this.#views(mode, asDetail(item), tracer));
      out.views = list;
    }
    if (part.pageLoad) out.pageLoad = this.#pageLoad(mode, asDetail(part.pageLoad), tracer);
    return out;
  }
}

const NO_ACTIVITY = Symbol("no activity");

/** Whether a request's `context.geo` has any value that becomes a geo response token. */
function hasGeoValue(geo: object): boolean {
  const g = geo as Record<string, unknown>;
  return (
    g.city !== undefined ||
    g.countryCode !== undefined ||
    g.stateCode !== undefined ||
    g.latitude !== undefined ||
    g.longitude !== undefined
  );
}

function asDetail(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** Decides a validated request against a compiled artifact. */
export function decide(
  compiled: CompiledArtifact,
  request: DeliveryRequest,
  options: DecideOptions,
): Decision {
  const dependency = options.dependency ?? remoteDependency(compiled, request);
  const runner = new DecisionRun(compiled, request, new RequestContext(request, options.now), options);
  const execute = runner.run("execute");
  const prefetch = runner.run("prefetch");
  const response: Decision["response"] = {
    status: dependency.remoteNeeded ? 206 : 200,
    requestId: request.requestId,
    id: { ...(request.id ?? {}) },
    client: options.client,
  };
  if (response.requestId === undefined) delete response.requestId;
  if (execute) response.execute = execute;
  if (prefetch) response.prefetch = prefetch;
  return {
    response,
    notifications: runner.notifications,
    dependency,
    ruleErrors: runner.ruleErrors,
    budgetExceeded: runner.budgetExceeded,
  };
}
