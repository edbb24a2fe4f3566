/**
 * The in-memory decision index of one container: every offer-management entity by `@id`, the
 * offers by tag, and per (activity, placement) the static candidate list (approved, in the
 * activity's filter, with a representation for the placement), ordered by priority then `@id`.
 * Candidate lists are built on first use and patched, not rebuilt, when a single offer changes;
 * a change to an activity or filter drops only the lists it can affect.
 */
import type { CatalogInstance, CatalogSnapshot } from "./catalog";
import {
  readEntry,
  type ActivityEntry,
  type Entry,
  type FilterEntry,
  type OfferEntry,
  type PlacementEntry,
  type RuleEntry,
} from "./entities";

/**
 * A candidate offer and the extra criterion rules it must pass (empty: none). It also carries
 * copies of the offer fields that a decision reads for every candidate it walks: a list's
 * candidates are allocated together, while the offer entries lie scattered over the heap, and
 * the memory latency of visiting each entry was most of the cost of a decision.
 */
export interface Candidate {
  offer: OfferEntry;
  /** Rule @ids of which at least one must hold; empty when a criterion without rule admits it. */
  criterionRules: readonly string[];
  priority: number;
  startMs: number | undefined;
  endMs: number | undefined;
  ruleId: string | undefined;
  /** The offer has a global or a per-profile cap. */
  capped: boolean;
}

function candidateOf(offer: OfferEntry, criterionRules: readonly string[]): Candidate {
  return {
    offer,
    criterionRules,
    priority: offer.priority,
    startMs: offer.startMs,
    endMs: offer.endMs,
    ruleId: offer.ruleId,
    capped: offer.globalCap !== undefined || offer.profileCap !== undefined,
  };
}

export interface IndexDiagnostic {
  "@id": string;
  message: string;
}

type EntryOf<T extends Entry["type"]> = T extends OfferEntry["type"]
  ? OfferEntry
  : Extract<Entry, { type: T }>;

const keyOf = (activityId: string, placementId: string): string => `${activityId}\u0000${placementId}`;

/** Higher priority first, then `@id` ascending (the tie groups are shuffled later). */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    b.offer.priority - a.offer.priority || (a.offer.id < b.offer.id ? -1 : a.offer.id > b.offer.id ? 1 : 0)
  );
}

function filterAdmits(filter: FilterEntry | undefined, offer: OfferEntry): boolean {
  if (!filter || filter.ids.size === 0) return false;
  switch (filter.filterType) {
    case "offers":
      return filter.ids.has(offer.id);
    case "anyTags":
      return offer.tags.some((t) => filter.ids.has(t));
    case "allTags": {
      const tags = new Set(offer.tags);
      for (const id of filter.ids) if (!tags.has(id)) return false;
      return true;
    }
    default:
      return false;
  }
}

export class DecisionIndex {
  readonly #byInstance = new Map<string, Entry>();
  readonly #byId = new Map<string, Entry>();
  /**
   * The rules, placements and activities of `#byId` again, each in a map of its own: a decision
   * looks these up several times, and a small map stays in the CPU caches where the map of every
   * entry (offers included) does not. An @id is in one of them exactly when `#byId` maps it to an
   * entry of that type.
   */
  readonly #rules = new Map<string, RuleEntry>();
  readonly #placements = new Map<string, PlacementEntry>();
  readonly #activities = new Map<string, ActivityEntry>();
  readonly #offersByTag = new Map<string, Set<OfferEntry>>();
  /** Candidate lists by activity @id, then placement @id (no key string built per decision). */
  readonly #candidates = new Map<string, Map<string, Candidate[]>>();
  /** Cached list keys by the tag or offer `@id` their filters name: what one offer change touches. */
  readonly #keysByMember = new Map<string, Set<string>>();
  /** When the catalog (offers, rules, filters, tags, placements) / the activities last changed. */
  catalogUpdated: number;
  activitiesUpdated: number;

  constructor(
    readonly containerId: string,
    now: number,
  ) {
    this.catalogUpdated = now;
    this.activitiesUpdated = now;
  }

  static fromSnapshot(snapshot: CatalogSnapshot, now: number): DecisionIndex {
    const index = new DecisionIndex(snapshot.containerId, now);
    for (const instance of snapshot.instances) index.#put(instance);
    return index;
  }

  get size(): number {
    return this.#byInstance.size;
  }

  /** Adds or replaces one instance and patches what depends on it. */
  upsert(instance: CatalogInstance, now: number): void {
    const previous = this.#byInstance.get(instance.instanceId);
    const entry = this.#put(instance);
    this.#invalidate(previous, entry, now);
  }

  /** Removes one instance (deleted in the repository). */
  remove(instanceId: string, now: number): void {
    const previous = this.#byInstance.get(instanceId);
    if (!previous) return;
    this.#drop(previous);
    this.#invalidate(previous, undefined, now);
  }

  #put(instance: CatalogInstance): Entry | undefined {
    const previous = this.#byInstance.get(instance.instanceId);
    if (previous) this.#drop(previous);
    const entry = readEntry(instance);
    if (!entry) return undefined;
    this.#byInstance.set(instance.instanceId, entry);
    const shadowed = this.#byId.get(entry.id);
    if (shadowed) this.#typed(shadowed)?.delete(entry.id);
    this.#byId.set(entry.id, entry);
    this.#typed(entry)?.set(entry.id, entry);
    if (entry.type === "personalized-offer") {
      for (const tag of entry.tags) {
        let set = this.#offersByTag.get(tag);
        if (!set) this.#offersByTag.set(tag, (set = new Set()));
        set.add(entry);
      }
    }
    return entry;
  }

  #drop(entry: Entry): void {
    this.#byInstance.delete(entry.instanceId);
    if (this.#byId.get(entry.id) === entry) {
      this.#byId.delete(entry.id);
      this.#typed(entry)?.delete(entry.id);
    }
    if (entry.type === "personalized-offer")
      for (const tag of entry.tags) this.#offersByTag.get(tag)?.delete(entry);
  }

  #invalidate(previous: Entry | undefined, next: Entry | undefined, now: number): void {
    const types = new Set([previous?.type, next?.type]);
    if (types.has("offer-activity")) {
      this.activitiesUpdated = now;
      for (const id of new Set([previous?.id, next?.id])) if (id) this.#dropCandidatesOf(id);
    }
    if (types.size > 1 || !types.has("offer-activity")) this.catalogUpdated = now;
    if (types.has("offer-filter")) {
      this.#candidates.clear();
      this.#keysByMember.clear();
    }
    const offer = (e: Entry | undefined) => (e?.type === "personalized-offer" ? e : undefined);
    if (types.has("personalized-offer")) this.#patchCandidates(offer(previous), offer(next));
  }

  #dropCandidatesOf(activityId: string): void {
    this.#candidates.delete(activityId);
  }

  /** One offer changed: remove it from the cached lists its filters reach, insert it where it now qualifies. */
  #patchCandidates(previous: OfferEntry | undefined, next: OfferEntry | undefined): void {
    const members = [previous?.id, next?.id, ...(previous?.tags ?? []), ...(next?.tags ?? [])];
    const keys = new Set<string>();
    for (const m of members) for (const key of (m && this.#keysByMember.get(m)) || []) keys.add(key);
    for (const key of keys) {
      const [activityId, placementId] = key.split("\u0000") as [string, string];
      const list = this.#candidates.get(activityId)?.get(placementId);
      if (list) this.#patchList(activityId, placementId, list, previous, next);
    }
  }

  #patchList(
    activityId: string,
    placementId: string,
    list: Candidate[],
    previous: OfferEntry | undefined,
    next: OfferEntry | undefined,
  ): void {
    if (previous) {
      const at = list.findIndex((c) => c.offer.instanceId === previous.instanceId);
      if (at >= 0) list.splice(at, 1);
    }
    if (!next || this.#byId.get(next.id) !== next) return;
    const activity = this.get(activityId, "offer-activity");
    const candidate = activity && this.#admit(activity, placementId, next);
    if (!candidate) return;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareCandidates(list[mid]!, candidate) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, candidate);
  }

  #remember(key: string, activity: ActivityEntry, placementId: string): void {
    for (const criterion of activity.criteria) {
      if (!criterion.placements.includes(placementId) || !criterion.filterId) continue;
      for (const member of this.get(criterion.filterId, "offer-filter")?.ids ?? []) {
        let keys = this.#keysByMember.get(member);
        if (!keys) this.#keysByMember.set(member, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  /** The map of this entry's type among the small per-type maps, if it has one. */
  #typed(entry: Entry): Map<string, Entry> | undefined {
    switch (entry.type) {
      case "eligibility-rule":
        return this.#rules as Map<string, Entry>;
      case "offer-placement":
        return this.#placements as Map<string, Entry>;
      case "offer-activity":
        return this.#activities as Map<string, Entry>;
      default:
        return undefined;
    }
  }

  /** The entry with this `@id` if it has the expected type. */
  get<T extends Entry["type"]>(id: string, type: T): EntryOf<T> | undefined {
    const entry = this.#byId.get(id);
    return entry?.type === type ? (entry as EntryOf<T>) : undefined;
  }

  offer(id: string): OfferEntry | undefined {
    const entry = this.#byId.get(id);
    return entry?.type === "personalized-offer" || entry?.type === "fallback-offer" ? entry : undefined;
  }

  rule(id: string): RuleEntry | undefined {
    return this.#rules.get(id);
  }

  placement(id: string): PlacementEntry | undefined {
    return this.#placements.get(id);
  }

  activity(id: string): ActivityEntry | undefined {
    return this.#activities.get(id);
  }

  /** Placements an activity serves (simple form: its placement; criteria form: all listed). */
  placementsOf(activity: ActivityEntry): readonly string[] {
    return activity.placements;
  }

  #admit(activity: ActivityEntry, placementId: string, offer: OfferEntry): Candidate | undefined {
    if (offer.type !== "personalized-offer" || offer.status !== "approved") return undefined;
    if (!offer.representations.has(placementId)) return undefined;
    const rules: string[] = [];
    let admitted = false;
    for (const criterion of activity.criteria) {
      if (!criterion.placements.includes(placementId)) continue;
      if (!filterAdmits(criterion.filterId ? this.get(criterion.filterId, "offer-filter") : undefined, offer))
        continue;
      if (criterion.ruleId === undefined) return candidateOf(offer, []);
      admitted = true;
      rules.push(criterion.ruleId);
    }
    return admitted ? candidateOf(offer, rules) : undefined;
  }

  /** Offers a filter could admit, found through the filter's ids or the tag index. */
  #filterPool(filterId: string | undefined): Iterable<OfferEntry> {
    const filter = filterId ? this.get(filterId, "offer-filter") : undefined;
    if (!filter) return [];
    if (filter.filterType === "offers") {
      return [...filter.ids].flatMap((id) => this.get(id, "personalized-offer") ?? []);
    }
    const pool = new Set<OfferEntry>();
    for (const tag of filter.ids) for (const offer of this.#offersByTag.get(tag) ?? []) pool.add(offer);
    return pool;
  }

  /** Steps 4–6 of a decision: the static, ordered candidates of (activity, placement). */
  candidates(activity: ActivityEntry, placementId: string): readonly Candidate[] {
    let byPlacement = this.#candidates.get(activity.id);
    const cached = byPlacement?.get(placementId);
    if (cached) return cached;
    const seen = new Set<OfferEntry>();
    const list: Candidate[] = [];
    for (const criterion of activity.criteria) {
      if (!criterion.placements.includes(placementId)) continue;
      for (const offer of this.#filterPool(criterion.filterId)) {
        if (seen.has(offer)) continue;
        seen.add(offer);
        const candidate = this.#admit(activity, placementId, offer);
        if (candidate) list.push(candidate);
      }
    }
    list.sort(compareCandidates);
    if (!byPlacement) this.#candidates.set(activity.id, (byPlacement = new Map()));
    byPlacement.set(placementId, list);
    this.#remember(keyOf(activity.id, placementId), activity, placementId);
    return list;
  }

  entries(): IterableIterator<Entry> {
    return this.#byInstance.values();
  }
}
