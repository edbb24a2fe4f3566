import { computeAllocation, visitorIdForAllocation } from "./allocation";
import type { CompiledArtifact, CompiledRule } from "./compile";
import { isTruthy } from "./conditions";
import { createBaseContext, createRuleContext, type BaseContext } from "./context";
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
  const context = request.context ?? {};
  const id: VisitorId = { ...(request.id ?? {}) };
  const authenticated =
    Array.isArray(id.customerIds) &&
    id.customerIds.some((c) => c && c.authenticatedState === "authenticated" && c.id);
  if (!id.tntId && !id.marketingCloudVisitorId && !authenticated && !id.thirdPartyId) {
    const hint =
      typeof targetLocationHint === "string" && targetLocationHint.trim() !== "" ? `.${targetLocationHint}_0` : "";
    id.tntId = `${uuid()}${hint}`;
  }
  return {
    ...request,
    context: { ...context, geo: geo ?? (context.geo as Record<string, unknown> | undefined) ?? {} },
    id,
    requestId: request.requestId || uuid(),
  };
}

class DecisionRun {
  readonly notifications: Notification[] = [];
  readonly #seenTokens = new Set<string>();
  readonly #allocations = new Map<unknown, number>();
  readonly #visitorId: string;
  readonly #requestTokens: Record<string, unknown>;
  readonly #propertyToken: string | undefined;
  readonly #traceEnvelope: ReturnType<typeof createTraceEnvelope> | undefined;
  ruleErrors = 0;

  constructor(
    private readonly compiled: CompiledArtifact,
    private readonly request: DeliveryRequest,
    private readonly base: BaseContext,
    private readonly options: DecideOptions,
  ) {
    this.#visitorId = visitorIdForAllocation(request.id, options.uuid);
    this.#requestTokens = requestResponseTokens(compiled.responseTokens, base.geo);
    const token = request.property?.token;
    this.#propertyToken = token === undefined ? undefined : String(token);
    this.#traceEnvelope =
      request.trace !== undefined
        ? createTraceEnvelope(options.client, options.traceArtifact, request.id, options.sessionId)
        : undefined;
  }

  #allocation(activityId: unknown): number {
    let value = this.#allocations.get(activityId);
    if (value === undefined) {
      value = computeAllocation(this.options.client, activityId, this.#visitorId);
      this.#allocations.set(activityId, value);
    }
    return value;
  }

  #propertyAllows(rule: CompiledRule): boolean {
    const tokens = rule.propertyTokens;
    if (tokens === undefined) return true;
    return this.#propertyToken !== undefined && tokens.has(this.#propertyToken);
  }

  #evaluate(rule: CompiledRule, ctx: Record<string, unknown>, tracer: ModeTracer | undefined): boolean {
    ctx.allocation = this.#allocation(rule.activityId);
    const ruleContext = tracer ? { ...ctx } : ctx;
    let matched: boolean;
    try {
      matched = isTruthy(rule.condition(ruleContext));
    } catch {
      this.ruleErrors++;
      matched = false;
    }
    tracer?.traceRule(rule, ruleContext, matched);
    return matched;
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
    const options: ResponseOption[] = new Array(source.length);
    for (let i = 0; i < source.length; i++) {
      options[i] = finishOption(source[i]!, rule, detail, this.#requestTokens);
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
    const tokens: string[] = [];
    for (const token of rule.displayTokens) {
      const key = `${rule.name}-${token}`;
      if (!this.#seenTokens.has(key)) {
        this.#seenTokens.add(key);
        tokens.push(token);
      }
    }
    if (tokens.length === 0) return;
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

  #mbox(mode: Mode, detail: Record<string, unknown>, tracer: ModeTracer | undefined, pageLoad: boolean): MboxResponse[] {
    const name = detail.name;
    const isGlobal = name === this.compiled.globalMbox;
    tracer?.traceRequest(mode, "mbox", detail, this.base.page.url, this.base.page.domain);
    const rules = typeof name === "string" ? this.compiled.mboxes.get(name) : undefined;
    const results: MboxResponse[] = [];
    if (rules && rules.length > 0) {
      const ctx = createRuleContext(this.base, detail as RequestDetails) as unknown as Record<string, unknown>;
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
    if (!isGlobal && results.length === 0) {
      const blank: MboxResponse = { name: name as string };
      if (detail.index !== undefined) blank.index = detail.index as number;
      if (tracer) blank.trace = tracer.snapshot();
      results.push(blank);
    }
    return results;
  }

  #views(mode: Mode, detail: Record<string, unknown>, tracer: ModeTracer | undefined): MboxResponse[] {
    tracer?.traceRequest(mode, "view", detail, this.base.page.url, this.base.page.domain);
    let rules: readonly CompiledRule[];
    if (Object.prototype.hasOwnProperty.call(detail, "name") && detail.name !== undefined) {
      rules = (typeof detail.name === "string" ? this.compiled.views.get(detail.name) : undefined) ?? [];
    } else {
      rules = this.compiled.allViewRules;
    }
    if (rules.length === 0) return [];
    const ctx = createRuleContext(this.base, detail as RequestDetails) as unknown as Record<string, unknown>;
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
    const consequences = this.#mbox(mode, asMbox, tracer, true);
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
      for (const item of part.mboxes) list.push(...this.#mbox(mode, asDetail(item), tracer, false));
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

function asDetail(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** Decides a validated request against a compiled artifact. */
export function decide(compiled: CompiledArtifact, request: DeliveryRequest, options: DecideOptions): Decision {
  const dependency = options.dependency ?? remoteDependency(compiled, request);
  const base = createBaseContext(request, options.now);
  const runner = new DecisionRun(compiled, request, base, options);
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
  return { response, notifications: runner.notifications, dependency, ruleErrors: runner.ruleErrors };
}
