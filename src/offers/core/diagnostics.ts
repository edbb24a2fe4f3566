/**
 * What is wrong in a container's offer catalog, as the ODE diagnostics endpoint reports it: PQL
 * compile errors of eligibility rules (and the offers they make unproposable) and references to
 * instances that do not exist or have the wrong type.
 */
import type { DecisionIndex, IndexDiagnostic } from "./decision-index";
import type { ActivityEntry, Entry, OfferEntry } from "./entities";

export interface CatalogDiagnostics {
  catalogErrors: IndexDiagnostic[];
  activityErrors: IndexDiagnostic[];
}

function offerProblems(index: DecisionIndex, offer: OfferEntry): string[] {
  const problems: string[] = [];
  if (offer.ruleId) {
    const rule = index.rule(offer.ruleId);
    if (!rule) problems.push(`eligibility rule ${offer.ruleId} does not exist; the offer is never proposed`);
    else if (rule.error)
      problems.push(`eligibility rule ${offer.ruleId} does not compile; the offer is never proposed`);
  }
  for (const placement of offer.representations.keys()) {
    if (!index.placement(placement)) problems.push(`representation placement ${placement} does not exist`);
  }
  for (const tag of offer.tags) if (!index.get(tag, "tag")) problems.push(`tag ${tag} does not exist`);
  return problems;
}

function activityProblems(index: DecisionIndex, activity: ActivityEntry): string[] {
  const problems: string[] = [];
  const placements = index.placementsOf(activity);
  if (placements.length === 0) problems.push("the activity names no placement");
  for (const p of placements) if (!index.placement(p)) problems.push(`placement ${p} does not exist`);
  for (const c of activity.criteria) {
    if (!c.filterId || !index.get(c.filterId, "offer-filter"))
      problems.push(`filter ${c.filterId ?? "(none)"} does not exist`);
    if (c.ruleId && !index.rule(c.ruleId)?.compiled)
      problems.push(`eligibility rule ${c.ruleId} is missing or does not compile`);
  }
  const fallback = activity.fallbackId ? index.get(activity.fallbackId, "fallback-offer") : undefined;
  if (!fallback) problems.push(`fallback offer ${activity.fallbackId ?? "(none)"} does not exist`);
  else {
    for (const p of placements) {
      if (!fallback.representations.has(p))
        problems.push(`fallback offer ${fallback.id} has no representation for placement ${p}`);
    }
  }
  return problems;
}

function problemsOf(index: DecisionIndex, entry: Entry): string[] {
  switch (entry.type) {
    case "eligibility-rule":
      return entry.error ? [`PQL: ${entry.error}`] : [];
    case "personalized-offer":
    case "fallback-offer":
      return offerProblems(index, entry);
    case "offer-filter":
      return [...entry.ids]
        .filter((id) => !index.offer(id) && !index.get(id, "tag"))
        .map((id) => `filter member ${id} does not exist`);
    case "offer-activity":
      return activityProblems(index, entry);
    default:
      return [];
  }
}

export function diagnose(index: DecisionIndex): CatalogDiagnostics {
  const result: CatalogDiagnostics = { catalogErrors: [], activityErrors: [] };
  for (const entry of index.entries()) {
    const target = entry.type === "offer-activity" ? result.activityErrors : result.catalogErrors;
    for (const message of problemsOf(index, entry)) target.push({ "@id": entry.id, message });
  }
  return result;
}
