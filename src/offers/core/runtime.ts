/**
 * The offer decision runtime: ties the pure decision steps to the ports (decision indexes,
 * capping counters, profiles, clock, randomness). One decision: parse the request, collect the
 * eligible offers, read the counters of the capped ones, select, then atomically reserve the caps
 * of what was selected; when another node won the race, select again with the fresh counters.
 * A capping-store failure never fails the decision: capped offers are left out (closed, the
 * default) or proposed uncounted (open), and the failure is reported through `onCappingError`.
 */
import { DecisioningError } from "../../errors";
import { isPromise, type CappingStore, type CapReservation, type MaybePromise } from "./capping/port";
import type { DecisionIndex } from "./decision-index";
import { collectEligible, selectOffers, type CapCounts, type Eligible } from "./decide";
import { diagnosticsResponse } from "./diagnostics";
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

interface CapPolicy {
  capping: CappingStore;
  failOpen: boolean;
  onFailure(err: unknown, operation: "read" | "reserve"): void;
  onConflict(): void;
}

/** One decision's selection step: what {@link selectWithCaps} and its continuations share. */
interface Selection {
  caps: CapPolicy;
  containerId: string;
  request: DecisionRequest;
  eligible: Eligible;
  random: () => Random;
}

function select(s: Selection, counts: CapCounts): OfferEntry[][] {
  return selectOffers(s.eligible, s.request, counts, s.random());
}

/** Every capped offer left out: what is proposed when caps cannot be checked (fail closed). */
function giveUp(s: Selection): OfferEntry[][] {
  return select(s, exhausted(s.eligible.capped));
}

function readFailed(s: Selection, err: unknown): OfferEntry[][] {
  s.caps.onFailure(err, "read");
  return s.caps.failOpen ? select(s, new Map()) : giveUp(s);
}

function reserveFailed(s: Selection, err: unknown, selection: OfferEntry[][]): OfferEntry[][] {
  s.caps.onFailure(err, "reserve");
  return s.caps.failOpen ? selection : giveUp(s);
}

/** The reservation was refused: select again with the counters the store returned. */
function afterConflict(s: Selection, counts: CapCounts, refused: CapCounts): CapCounts {
  s.caps.onConflict();
  return new Map([...counts, ...refused]);
}

/**
 * Selects and reserves the caps of the selection, from `attempt` on, until a reservation holds.
 * Synchronous while the store answers directly; continues on the promise when it does not.
 */
function reserveLoop(
  s: Selection,
  counts: CapCounts,
  attempt: number,
): OfferEntry[][] | Promise<OfferEntry[][]> {
  for (; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
    const selection = select(s, counts);
    const items = reservations(selection);
    if (s.request.dryRun || items.length === 0) return selection;
    try {
      const result = s.caps.capping.reserve(s.containerId, items, s.request.profileKey);
      if (isPromise(result)) {
        const next = attempt + 1;
        return result.then(
          (r) => {
            if (r.ok) return selection;
            let refreshed: CapCounts;
            try {
              refreshed = afterConflict(s, counts, r.counts);
            } catch (err) {
              return reserveFailed(s, err, selection);
            }
            return reserveLoop(s, refreshed, next);
          },
          (err: unknown) => reserveFailed(s, err, selection),
        );
      }
      if (result.ok) return selection;
      counts = afterConflict(s, counts, result.counts);
    } catch (err) {
      return reserveFailed(s, err, selection);
    }
  }
  return giveUp(s);
}

/** Selects, reserving the caps of what was selected atomically; returns the final selection. */
function selectWithCaps(s: Selection): OfferEntry[][] | Promise<OfferEntry[][]> {
  if (s.eligible.capped.length === 0) return reserveLoop(s, new Map(), 0);
  const ids = s.eligible.capped.map((o) => o.id);
  let counts: MaybePromise<CapCounts>;
  try {
    counts = s.caps.capping.read(s.containerId, ids, s.request.profileKey);
  } catch (err) {
    return readFailed(s, err);
  }
  if (!isPromise(counts)) return reserveLoop(s, counts, 0);
  return counts.then(
    (c) => reserveLoop(s, c, 0),
    (err: unknown) => readFailed(s, err),
  );
}

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

  const caps: CapPolicy = {
    capping: options.capping,
    failOpen,
    onFailure: (err, operation) => {
      const error = DecisioningError.is(err)
        ? err
        : new DecisioningError("ODE_ERR_CAPPING_UNAVAILABLE", String(err), { cause: err });
      options.onCappingError?.(error, operation);
    },
    onConflict: () => options.onCapConflict?.(),
  };

  return {
    async decide(containerId, body) {
      const request = parseDecisionRequest(body);
      const index = indexFor(containerId, request.propositions[0]?.activityId);
      const at = now();
      const data = options.profiles.get(request.profileKey) ?? EMPTY_PROFILE;
      const eligible = collectEligible(index, request, data, at);
      const selecting = selectWithCaps({
        caps,
        containerId: index.containerId,
        request,
        eligible,
        random: randomFor(request),
      });
      const selection = isPromise(selecting) ? await selecting : selecting;
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
      return diagnosticsResponse(indexes);
    },
  };
}
