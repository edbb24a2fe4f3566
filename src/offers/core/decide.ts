/**
 * The decision algorithm, pure and synchronous, in two steps so that capping counters (which may
 * live in Redis) are read between them:
 *
 *  1. {@link collectEligible}: per proposition request, validate it, gate the activity, and walk
 *     its static candidates (status, filter, placement — from the index) by priority applying the
 *     calendar and the eligibility rules, far enough to fill `itemCount` whatever caps and
 *     de-duplication remove. It names the capped offers whose counters must be read.
 *  2. {@link selectOffers}: with the counters as they were at request start, apply caps and
 *     de-duplication across propositions, break priority ties with a shuffle, take the top k.
 *     An empty result means the activity's fallback.
 */
import type { Candidate, DecisionIndex } from "./decision-index";
import type { ActivityEntry, OfferEntry, PlacementEntry } from "./entities";
import type { PqlInput } from "./pql";
import { shuffle, type Random } from "./random";
import { unprocessable, type DecisionRequest } from "./request";

export interface ResolvedProposition {
  activity: ActivityEntry;
  placementId: string;
  /** The placement's entry, looked up once for the whole decision (the response names it). */
  placement: PlacementEntry;
  itemCount: number;
}

export interface Eligible {
  propositions: ResolvedProposition[];
  /** Per proposition: eligible offers, by priority descending then `@id` ascending. */
  offers: OfferEntry[][];
  /** Offers with a global or per-profile cap among them (each once). */
  capped: OfferEntry[];
}

/** Counters at request start; an absent offer counts 0, Infinity means "treat as exhausted". */
export type CapCounts = ReadonlyMap<string, { global: number; profile: number }>;

export interface ProfileData {
  profile: unknown;
  events: unknown;
}

const inWindow = (now: number, start: number | undefined, end: number | undefined): boolean =>
  (start === undefined || start <= now) && (end === undefined || now <= end);

/** Step 1–2: the activity exists, serves the placement, and is live now; else a coded 422. */
export function resolveProposition(
  index: DecisionIndex,
  request: DecisionRequest["propositions"][number],
  now: number,
): ResolvedProposition {
  const activity = index.activity(request.activityId);
  if (!activity) throw unprocessable(`unknown activity ${request.activityId}`);
  const placements = index.placementsOf(activity);
  const placementId = request.placementId ?? placements[0];
  const placement = placementId === undefined ? undefined : index.placement(placementId);
  if (placementId === undefined || !placement) {
    throw unprocessable(`unknown placement ${placementId ?? "(none)"}`);
  }
  if (!placements.includes(placementId)) {
    throw unprocessable(`placement ${placementId} is not part of activity ${activity.id}`);
  }
  if (activity.status !== "live" || !inWindow(now, activity.startMs, activity.endMs)) {
    throw unprocessable(`activity ${activity.id} is not active`);
  }
  return { activity, placementId, placement, itemCount: request.itemCount };
}

/**
 * Evaluates calendar and eligibility rules, each rule at most once per request. The calendar and
 * the rule @ids come from the candidate itself (see {@link Candidate}), so the offer entries are
 * not visited; an offer met again in a later proposition costs two comparisons and memo hits.
 */
class EligibilityCheck {
  /** Rule results of this request by rule @id; created on the first rule evaluated. */
  #rules: Map<string, boolean> | undefined;
  constructor(
    private readonly index: DecisionIndex,
    private readonly input: PqlInput,
  ) {}

  rule(id: string): boolean {
    let ok = this.#rules?.get(id);
    if (ok === undefined) {
      const compiled = this.index.rule(id)?.compiled;
      try {
        ok = compiled !== undefined && compiled.evaluate(this.input);
      } catch {
        ok = false; // over budget (or any evaluation failure): not eligible
      }
      (this.#rules ??= new Map()).set(id, ok);
    }
    return ok;
  }

  candidate(c: Candidate): boolean {
    if (!inWindow(this.input.now, c.startMs, c.endMs)) return false;
    if (c.ruleId !== undefined && !this.rule(c.ruleId)) return false;
    const rules = c.criterionRules;
    if (rules.length === 0) return true;
    for (let i = 0; i < rules.length; i++) if (this.rule(rules[i]!)) return true;
    return false;
  }
}

/**
 * Steps 3–8 for one proposition: its eligible offers in list order, walking the candidates only
 * until `needed` uncapped offers are certain to remain; capped offers are added to `capped` once.
 */
function eligibleOffers(
  list: readonly Candidate[],
  needed: number,
  check: EligibilityCheck,
  capped: OfferEntry[],
): OfferEntry[] {
  const eligible: OfferEntry[] = [];
  let uncapped = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    // Stop between two priority groups once enough uncapped offers are certain to remain.
    if (uncapped >= needed && c.priority !== list[i - 1]!.priority) break;
    if (!check.candidate(c)) continue;
    eligible.push(c.offer);
    if (!c.capped) uncapped++;
    else if (!capped.includes(c.offer)) capped.push(c.offer);
  }
  return eligible;
}

/** Steps 3–8 for every proposition request, in request order. */
export function collectEligible(
  index: DecisionIndex,
  request: DecisionRequest,
  data: ProfileData,
  now: number,
): Eligible {
  const propositions: ResolvedProposition[] = [];
  for (const p of request.propositions) propositions.push(resolveProposition(index, p, now));
  const check = new EligibilityCheck(index, {
    profile: data.profile,
    events: data.events,
    context: request.context,
    now,
  });
  const dedup = !request.acrossActivities || !request.acrossPlacements;
  const capped: OfferEntry[] = [];
  const offers: OfferEntry[][] = [];
  let earlierItems = 0;
  for (const p of propositions) {
    const needed = p.itemCount + (dedup ? earlierItems : 0);
    earlierItems += p.itemCount;
    offers.push(eligibleOffers(index.candidates(p.activity, p.placementId), needed, check, capped));
  }
  return { propositions, offers, capped };
}

interface Proposed {
  offer: OfferEntry;
  activityId: string;
  placementId: string;
}

function duplicateBlocked(
  proposed: readonly Proposed[],
  offer: OfferEntry,
  p: ResolvedProposition,
  request: DecisionRequest,
): boolean {
  for (const e of proposed) {
    if (
      e.offer === offer &&
      ((e.activityId !== p.activity.id && !request.acrossActivities) ||
        (e.placementId !== p.placementId && !request.acrossPlacements))
    )
      return true;
  }
  return false;
}

const NOT_COUNTED = { global: 0, profile: 0 };

/** The offer stays within its caps counting the propositions it already got in this request. */
function withinCaps(o: OfferEntry, counts: CapCounts, proposed: readonly Proposed[]): boolean {
  if (o.globalCap === undefined && o.profileCap === undefined) return true;
  const c = counts.get(o.id) ?? NOT_COUNTED;
  let taken = 0;
  for (const e of proposed) if (e.offer === o) taken++;
  return (
    (o.globalCap === undefined || c.global + taken < o.globalCap) &&
    (o.profileCap === undefined || c.profile + taken < o.profileCap)
  );
}

/** Steps 9–12: caps against the counters at request start, de-duplication, ranking, top k. */
export function selectOffers(
  eligible: Eligible,
  request: DecisionRequest,
  counts: CapCounts,
  random: Random,
): OfferEntry[][] {
  const proposed: Proposed[] = [];
  const selection: OfferEntry[][] = [];
  for (let i = 0; i < eligible.propositions.length; i++) {
    const p = eligible.propositions[i]!;
    const list = eligible.offers[i]!;
    const chosen: OfferEntry[] = [];
    for (let start = 0; start < list.length && chosen.length < p.itemCount;) {
      const priority = list[start]!.priority;
      let end = start;
      const group: OfferEntry[] = [];
      for (; end < list.length && list[end]!.priority === priority; end++) {
        const o = list[end]!;
        if (withinCaps(o, counts, proposed) && !duplicateBlocked(proposed, o, p, request)) group.push(o);
      }
      if (group.length > 1) shuffle(group, random);
      for (let k = 0; k < group.length && chosen.length < p.itemCount; k++) chosen.push(group[k]!);
      start = end;
    }
    for (const offer of chosen)
      proposed.push({ offer, activityId: p.activity.id, placementId: p.placementId });
    selection.push(chosen);
  }
  return selection;
}
