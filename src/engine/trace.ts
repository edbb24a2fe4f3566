import type { CompiledRule } from "./compile";
import type { Notification, VisitorId } from "../protocol/delivery";

/**
 * Trace support (docs/target-behaviour.md#traces), built only when the request asks for it. One tracer per mode
 * (execute/prefetch); campaigns and evaluated targets accumulate across the items of that mode, as
 * the reference does. Snapshots of matched items are deep-copied by the caller; snapshots attached
 * to blank mbox entries keep live references, as the reference's do.
 */

interface CampaignTrace {
  id: unknown;
  campaignType: unknown;
  branchId: unknown;
  offers: unknown[];
  environment: unknown;
  notifications?: Notification[];
}

interface EvaluatedTarget {
  context: unknown;
  campaignId: unknown;
  campaignType: unknown;
  matchedSegmentIds: Set<unknown>;
  unmatchedSegmentIds: Set<unknown>;
  matchedRuleConditions: unknown[];
  unmatchedRuleConditions: unknown[];
}

export interface TraceEnvelope {
  clientCode: string;
  artifact: unknown;
  profile: { visitorId: Record<string, unknown> };
  sessionId: string | undefined;
}

export function createTraceEnvelope(
  clientCode: string,
  artifactTrace: unknown,
  id: VisitorId | undefined,
  sessionId: string | undefined,
): TraceEnvelope {
  let tntId: string | undefined;
  let profileLocation: string | undefined;
  if (id && typeof id.tntId === "string") {
    const parts = id.tntId.split(".");
    tntId = parts[0];
    profileLocation = parts[1];
  }
  return {
    clientCode,
    artifact: artifactTrace,
    profile: { visitorId: { ...(id ?? {}), tntId, profileLocation } },
    sessionId,
  };
}

export class ModeTracer {
  #campaigns = new Map<unknown, CampaignTrace>();
  #targets = new Map<unknown, EvaluatedTarget>();
  #request: Record<string, unknown> = {};

  constructor(
    private readonly envelope: TraceEnvelope,
    private readonly environment: unknown,
  ) {}

  traceRequest(mode: string, requestType: "mbox" | "view", detail: object, pageUrl: unknown, host: unknown): void {
    this.#request = { pageURL: pageUrl, host, [requestType]: { ...detail, type: mode } };
  }

  traceRule(rule: CompiledRule, ruleContext: unknown, matched: boolean): void {
    const meta = rule.rule.meta ?? {};
    const activityId = meta["activity.id"];
    if (matched && !this.#campaigns.has(activityId)) {
      this.#campaigns.set(activityId, {
        id: activityId,
        campaignType: meta["activity.type"],
        branchId: meta["experience.id"],
        offers: meta["offer.id"] !== undefined ? [meta["offer.id"]] : [],
        environment: this.environment,
      });
    }
    let target = this.#targets.get(activityId);
    if (!target) {
      target = {
        context: ruleContext,
        campaignId: activityId,
        campaignType: meta["activity.type"],
        matchedSegmentIds: new Set(),
        unmatchedSegmentIds: new Set(),
        matchedRuleConditions: [],
        unmatchedRuleConditions: [],
      };
      this.#targets.set(activityId, target);
    }
    const ids = matched ? target.matchedSegmentIds : target.unmatchedSegmentIds;
    for (const audienceId of rule.audienceIds) ids.add(audienceId);
    (matched ? target.matchedRuleConditions : target.unmatchedRuleConditions).push(rule.rule.condition);
  }

  /** Called for every matched execute consequence; returns the list notifications are added to. */
  notificationsFor(rule: CompiledRule): Notification[] | undefined {
    const campaign = this.#campaigns.get(rule.activityId);
    if (!campaign) return undefined;
    if (!Array.isArray(campaign.notifications)) campaign.notifications = [];
    return campaign.notifications;
  }

  snapshot(): Record<string, unknown> {
    const env = this.envelope;
    return {
      clientCode: env.clientCode,
      artifact: env.artifact,
      profile: env.profile,
      request: { sessionId: env.sessionId, ...this.#request },
      campaigns: [...this.#campaigns.values()].map((c) => ({ ...c })),
      evaluatedCampaignTargets: [...this.#targets.values()].map((t) => ({
        ...t,
        matchedSegmentIds: [...t.matchedSegmentIds],
        unmatchedSegmentIds: [...t.unmatchedSegmentIds],
      })),
    };
  }
}

/** JSON copy: what the reference's per-consequence deep clone produces. */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
