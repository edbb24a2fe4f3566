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
import type { ActivityEntry, OfferEntry } from "./entities";
import type { PqlInput } from "./pql";
import { shuffle, type Random } from "./random";
import { unprocessable, type DecisionRequest } from "./request";

export interface ResolvedProposition {
  activity: ActivityEntry;
  placementId: string;
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
  if (placementId === undefined || !index.placement(placementId)) {
    throw unprocessable(`unknown placement ${placementId ?? "(none)"}`);
  }
  if (!placements.includes(placementId)) {
    throw unprocessable(`placement ${placementId} is not part of activity ${activity.id}`);
  }
  if (activity.status !== "live" || !inWindow(now, activity.startMs, activity.endMs)) {
    throw unprocessable(`activity ${activity.id} is not active`);
  }
  return { activity, placementId, itemCount: request.itemCount };
}

/** Evaluates calendar and eligibility rules, each offer and rule at most once per request. */
class EligibilityCheck {
  readonly #offers = new Map<OfferEntry, boolean>();
  readonly #rules = new Map<string, boolean>();
  constructor(
    private readonly index: DecisionIndex,
    private readonly input: PqlInput,
  ) {}

  rule(id: string): boolean {
    let ok = this.#rules.get(id);
    if (ok === undefined) {
      const compiled = this.index.rule(id)?.compiled;
      try {
        ok = compiled !== undefined && compiled.evaluate(this.input);
      } catch {
        ok = false; // over budget (or any evaluation failure): not eligible
      }
      this.#rules.set(id, ok);
    }
    return ok;
  }

  candidate(c: Candidate): boolean {
    let ok = this.#offers.get(c.offer);
    if (ok === undefined) {
      const o = c.offer;
      ok = inWindow(this.input.now, o.startMs, o.endMs) && (o.ruleId === undefined || this.rule(o.ruleId));
      this.#offers.set(o, ok);
    }
    return ok && (c.criterionRules.length === 0 || c.criterionRules.some((r) => this.rule(r)));
  }
}

/** Steps 3–8 for every proposition request, in request order. */
export function collectEligible(
  index: DecisionIndex,
  request: DecisionRequest,
  data: ProfileData,
  now: number,
): Eligible {
  const propositions = request.propositions.map((p) => resolveProposition(index, p, now));
  const check = new EligibilityCheck(index, {
    profile: data.profile,
    events: data.events,
    context: request.context,
    now,
  });
  const dedup = !request.acrossActivities || !request.acrossPlacements;
  const capped = new Set<OfferEntry>();
  let earlierItems = 0;
  const offers = propositions.map((p) => {
    const needed = p.itemCount + (dedup ? earlierItems : 0);
    earlierItems += p.itemCount;
    const eligible: OfferEntry[] = [];
    let uncapped = 0;
    const list = index.candidates(p.activity, p.placementId);
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      // Stop between two priority groups once enough uncapped offers are certain to remain.
      if (uncapped >= needed && c.offer.priority !== list[i - 1]!.offer.priority) break;
      if (!check.candidate(c)) continue;
      eligible.push(c.offer);
      if (c.offer.globalCap === undefined && c.offer.profileCap === undefined) uncapped++;
      else capped.add(c.offer);
    }
    return eligible;
  });
  return { propositions, offers, capped: [...capped] };
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
  return proposed.some(
    (e) =>
      e.offer === offer &&
      ((e.activityId !== p.activity.id && !request.acrossActivities) ||
        (e.placementId !== p.placementId && !request.acrossPlacements)),
  );
}

/** Steps 9–12: caps against the counters at request start, de-duplication, ranking, top k. */
export function selectOffers(
  eligible: Eligible,
  request: DecisionRequest,
  counts: CapCounts,
  random: Random,
): OfferEntry[][] {
  const taken = new Map<OfferEntry, number>();
  const proposed: Proposed[] = [];
  const withinCaps = (o: OfferEntry): boolean => {
    const c = counts.get(o.id) ?? { global: 0, profile: 0 };
    const t = taken.get(o) ?? 0;
    return (
      (o.globalCap === undefined || c.global + t < o.globalCap) &&
      (o.profileCap === undefined || c.profile + t < o.profileCap)
    );
  };
  return eligible.propositions.map((p, i) => {
    const list = eligible.offers[i]!;
    const chosen: OfferEntry[] = [];
    for (let start = 0; start < list.length && chosen.length < p.itemCount;) {
      let end = start + 1;
      while (end < list.length && list[end]!.priority === list[start]!.priority) end++;
      const group = list
        .slice(start, end)
        .filter((o) => withinCaps(o) && !duplicateBlocked(proposed, o, p, request));
      if (group.length > 1) shuffle(group, random);
      chosen.push(...group.slice(0, p.itemCount - chosen.length));
      start = end;
    }
    for (const offer of chosen) {
      taken.set(offer, (taken.get(offer) ?? 0) + 1);
      proposed.push({ offer, activityId: p.activity.id, placementId: p.placementId });
    }
    return chosen;
  });
}
