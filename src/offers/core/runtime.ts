/**
 * The offer decision runtime: ties the pure decision steps to the ports (decision indexes,
 * capping counters, profiles, clock, randomness). One decision: parse the request, collect the
 * eligible offers, read the counters of the capped ones, select, then atomically reserve the caps
 * of what was selected; when another node won the race, select again with the fresh counters.
 * A capping-store failure never fails the decision: capped offers are left out (closed, the
 * default) or proposed uncounted (open), and the failure is reported through `onCappingError`.
 */
import { DecisioningError } from "../../errors";
import type { CappingStore, CapReservation } from "./capping/port";
import type { DecisionIndex } from "./decision-index";
import { collectEligible, selectOffers, type CapCounts, type Eligible } from "./decide";
import { diagnose } from "./diagnostics";
import type { OfferEntry } from "./entities";
import { EMPTY_PROFILE, type ProfileStore } from "./profiles";
import { seededRandom, type Random } from "./random";
import { badRequest, parseDecisionRequest, unprocessable, type DecisionRequest } from "./request";
import { activityOffersResponse, decisionResponse, type Json } from "./response";

export type CappingFailureMode = "closed" | "open";

/** How many times a decision is re-selected after losing a capping race before giving up on caps. */
const MAX_RESERVE_ATTEMPTS = 5;
export const MAX_ACTIVITY_IDS = 30;

export interface IndexSource {
  /** The index of a container, or undefined when the container is unknown. */
  get(containerId: string): DecisionIndex | undefined;
  all(): Iterable<DecisionIndex>;
}

export interface OfferRuntimeOptions {
  indexes: IndexSource;
  capping: CappingStore;
  cappingFailure?: CappingFailureMode;
  profiles: ProfileStore;
  now?: () => number;
  /** Makes tie-breaks reproducible: the same request then always gets the same answer. */
  randomSeed?: string;
  random?: Random;
  uuid?: () => string;
  onCappingError?: (err: DecisioningError, operation: "read" | "reserve") => void;
  /** Called when a reservation lost a race with another request (counters had moved). */
  onCapConflict?: () => void;
}

export interface OfferRuntime {
  decide(containerId: string | undefined, body: unknown): Promise<Json>;
  activityOffers(containerId: string | undefined, activityIds: readonly string[]): Json;
  diagnostics(containerId: string | undefined): Json;
}

const EXHAUSTED = { global: Infinity, profile: Infinity };

function exhausted(offers: readonly OfferEntry[]): CapCounts {
  return new Map(offers.map((o) => [o.id, EXHAUSTED]));
}

function reservations(selection: readonly OfferEntry[][]): CapReservation[] {
  const times = new Map<OfferEntry, number>();
  for (const chosen of selection) {
    for (const o of chosen)
      if (o.globalCap !== undefined || o.profileCap !== undefined) times.set(o, (times.get(o) ?? 0) + 1);
  }
  return [...times].map(([o, n]) => ({
    offerId: o.id,
    globalCap: o.globalCap,
    profileCap: o.profileCap,
    times: n,
  }));
}

function notFound(containerId: string): DecisioningError {
  return new DecisioningError("ODE_ERR_OFFERS_INVALID_REQUEST", `unknown container ${containerId}`, {
    status: 404,
  });
}

// eslint-disable-next-line max-lines-per-function -- to be split into units by the offers branch
export function createOfferRuntime(options: OfferRuntimeOptions): OfferRuntime {
  const now = options.now ?? Date.now;
  const failOpen = options.cappingFailure === "open";
  const uuid = options.uuid ?? (() => globalThis.crypto.randomUUID());
  const randomFor = (request: DecisionRequest): (() => Random) => {
    if (options.randomSeed === undefined) return () => options.random ?? Math.random;
    const seed = `${options.randomSeed}\u0000${request.profileKey}\u0000${JSON.stringify(request.propositions)}`;
    return () => seededRandom(seed);
  };

  /** The container's index; without a container, the one holding the first activity. */
  const indexFor = (containerId: string | undefined, activityId: string | undefined): DecisionIndex => {
    if (containerId !== undefined) {
      const index = options.indexes.get(containerId);
      if (!index) throw notFound(containerId);
      return index;
    }
    for (const index of options.indexes.all()) if (activityId && index.activity(activityId)) return index;
    throw unprocessable(`unknown activity ${activityId ?? "(none)"}`);
  };

  const storeFailure = (err: unknown, operation: "read" | "reserve"): void => {
    const error = DecisioningError.is(err)
      ? err
      : new DecisioningError("ODE_ERR_CAPPING_UNAVAILABLE", String(err), { cause: err });
    options.onCappingError?.(error, operation);
  };

  /** Selects, reserving caps atomically; returns the final selection. */
  async function selectWithCaps(
    index: DecisionIndex,
    request: DecisionRequest,
    eligible: Eligible,
  ): Promise<OfferEntry[][]> {
    const random = randomFor(request);
    const ids = eligible.capped.map((o) => o.id);
    let counts: CapCounts = new Map();
    try {
      if (ids.length > 0) counts = await options.capping.read(index.containerId, ids, request.profileKey);
    } catch (err) {
      storeFailure(err, "read");
      return selectOffers(eligible, request, failOpen ? new Map() : exhausted(eligible.capped), random());
    }
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
      const selection = selectOffers(eligible, request, counts, random());
      const items = reservations(selection);
      if (request.dryRun || items.length === 0) return selection;
      try {
        const result = await options.capping.reserve(index.containerId, items, request.profileKey);
        if (result.ok) return selection;
        options.onCapConflict?.();
        counts = new Map([...counts, ...result.counts]);
      } catch (err) {
        storeFailure(err, "reserve");
        return failOpen ? selection : selectOffers(eligible, request, exhausted(eligible.capped), random());
      }
    }
    return selectOffers(eligible, request, exhausted(eligible.capped), random());
  }

  return {
    async decide(containerId, body) {
      const request = parseDecisionRequest(body);
      const index = indexFor(containerId, request.propositions[0]?.activityId);
      const at = now();
      const data = options.profiles.get(request.profileKey) ?? EMPTY_PROFILE;
      const eligible = collectEligible(index, request, data, at);
      const selection = await selectWithCaps(index, request, eligible);
      return decisionResponse(index, request, eligible.propositions, selection, {
        propositionId: uuid(),
        now: at,
      });
    },

    activityOffers(containerId, activityIds) {
      if (activityIds.length === 0) throw badRequest("activityId is required");
      if (activityIds.length > MAX_ACTIVITY_IDS)
        throw badRequest(`at most ${MAX_ACTIVITY_IDS} activityId values are allowed`);
      const index = indexFor(containerId, activityIds[0]);
      const activities = activityIds.map((id) => {
        const activity = index.activity(id);
        if (!activity) throw unprocessable(`unknown activity ${id}`);
        return activity;
      });
      return activityOffersResponse(index, activities);
    },

    diagnostics(containerId) {
      const indexes =
        containerId === undefined ? [...options.indexes.all()] : [indexFor(containerId, undefined)];
      const found = indexes.map((index) => ({ index, ...diagnose(index) }));
      const latest = (pick: (i: DecisionIndex) => number) =>
        new Date(Math.max(0, ...indexes.map(pick))).toISOString();
      return {
        "xdm:operations": {
          "xdm:offerCatalogUpdate": {
            "xdm:date": latest((i) => i.catalogUpdated),
            "xdm:errors": found.flatMap((f) => f.catalogErrors),
          },
          "xdm:activitiesUpdate": {
            "xdm:date": latest((i) => i.activitiesUpdated),
            "xdm:errors": found.flatMap((f) => f.activityErrors),
          },
        },
      };
    },
  };
}
