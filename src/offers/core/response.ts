/**
 * Response assembly: the decision response (propositions with options or the fallback, the
 * component chosen by language, content and metadata on request) and the `/offers` candidate-set
 * response. `repo:etag` is an integer in decision responses and a string in `/offers`.
 */
import type { DecisionIndex } from "./decision-index";
import type { ResolvedProposition } from "./decide";
import type { ActivityEntry, OfferEntry, PlacementEntry } from "./entities";
import type { DecisionRequest } from "./request";

export type Json = Record<string, unknown>;

/** The first component whose `dc:language` lists the request language, else the first one. */
export function chooseComponent(components: readonly Json[], language: string | undefined): Json | undefined {
  if (language !== undefined) {
    const wanted = language.toLowerCase();
    const match = components.find(
      (c) =>
        Array.isArray(c["dc:language"]) &&
        c["dc:language"].some((l) => typeof l === "string" && l.toLowerCase() === wanted),
    );
    if (match) return match;
  }
  return components[0];
}

const COMPONENT_KINDS = ["imagelink", "text", "html"] as const;

function componentKind(type: unknown): (typeof COMPONENT_KINDS)[number] | undefined {
  if (typeof type !== "string") return undefined;
  return COMPONENT_KINDS.find((k) => type.endsWith(`content-component-${k}`));
}

/** Content of a component: text → copyline, html → inline content or asset URL, imagelink → URL + link. */
function content(component: Json): Json {
  const out: Json = {};
  const assetUrl = component["xdm:deliveryURL"] ?? component["repo:resolveURL"];
  switch (componentKind(component["@type"])) {
    case "text":
      if ((component["xdm:copyline"] ?? component["xdm:content"]) !== undefined)
        out["xdm:content"] = component["xdm:copyline"] ?? component["xdm:content"];
      break;
    case "imagelink":
      if (assetUrl !== undefined) out["xdm:deliveryURL"] = assetUrl;
      if (component["xdm:linkURL"] !== undefined) out["xdm:content"] = component["xdm:linkURL"];
      break;
    default:
      if (component["xdm:content"] !== undefined) out["xdm:content"] = component["xdm:content"];
      else if (assetUrl !== undefined) out["xdm:deliveryURL"] = assetUrl;
  }
  return out;
}

/** What an option's JSON depends on besides the offer: one entry of an offer's option cache. */
interface CachedOption {
  placementId: string;
  language: string | undefined;
  includeContent: boolean;
  name: boolean;
  characteristics: boolean;
  json: Json;
}

/**
 * Option JSON already built, per offer entry (a changed offer is a new entry, so nothing goes
 * stale). Bounded per offer, since the request language is the caller's to choose.
 */
const optionCache = new WeakMap<OfferEntry, CachedOption[]>();
const MAX_CACHED_OPTIONS_PER_OFFER = 8;

/** One option (or the fallback) of a proposition: a fresh copy of the cached JSON when there is one. */
export function optionJson(offer: OfferEntry, placementId: string, request: DecisionRequest): Json {
  const { language, includeContent } = request;
  const name = request.metadata.option.has("name");
  const characteristics = request.metadata.option.has("characteristics");
  const cached = optionCache.get(offer);
  if (cached) {
    for (const c of cached) {
      if (
        c.placementId === placementId &&
        c.language === language &&
        c.includeContent === includeContent &&
        c.name === name &&
        c.characteristics === characteristics
      )
        return { ...c.json };
    }
  }
  const json = buildOptionJson(offer, placementId, request);
  const entry = { placementId, language, includeContent, name, characteristics, json };
  if (!cached) optionCache.set(offer, [entry]);
  else if (cached.length < MAX_CACHED_OPTIONS_PER_OFFER) cached.push(entry);
  return { ...json };
}

function buildOptionJson(offer: OfferEntry, placementId: string, request: DecisionRequest): Json {
  const out: Json = { "xdm:id": offer.id, "repo:etag": offer.etag };
  const components = offer.representations.get(placementId);
  const component = components ? chooseComponent(components, request.language) : undefined;
  if (component) {
    if (component["@type"] !== undefined) out["@type"] = component["@type"];
    if (component["dc:format"] !== undefined) out["dc:format"] = component["dc:format"];
    if (component["dc:language"] !== undefined) out["dc:language"] = component["dc:language"];
    if (request.includeContent) Object.assign(out, content(component));
  }
  if (request.metadata.option.has("name") && offer.name !== undefined) out["xdm:name"] = offer.name;
  if (request.metadata.option.has("characteristics") && offer.characteristics) {
    out["xdm:characteristics"] = offer.characteristics;
  }
  return out;
}

function activityJson(activity: ActivityEntry, request: DecisionRequest): Json {
  const out: Json = { "xdm:id": activity.id, "repo:etag": activity.etag };
  if (request.metadata.activity.has("name") && activity.name !== undefined) out["xdm:name"] = activity.name;
  return out;
}

function placementJson(placementId: string, placement: PlacementEntry, request: DecisionRequest): Json {
  const out: Json = { "xdm:id": placementId, "repo:etag": placement.etag };
  const wanted = request.metadata.placement;
  if (wanted.has("name") && placement.name !== undefined) out["xdm:name"] = placement.name;
  if (wanted.has("channel") && placement.channel !== undefined) out["xdm:channel"] = placement.channel;
  if (wanted.has("componentType") && placement.componentType !== undefined)
    out["xdm:componentType"] = placement.componentType;
  return out;
}

export interface DecisionEnvelope {
  propositionId: string;
  now: number;
}

/** The decision response; an empty selection carries the activity's fallback. */
export function decisionResponse(
  index: DecisionIndex,
  request: DecisionRequest,
  propositions: readonly ResolvedProposition[],
  selection: readonly OfferEntry[][],
  envelope: DecisionEnvelope,
): Json {
  const items = propositions.map((p, i) => {
    const item: Json = {
      "xdm:activity": activityJson(p.activity, request),
      "xdm:placement": placementJson(p.placementId, p.placement, request),
    };
    const chosen = selection[i]!;
    if (chosen.length > 0) item["xdm:options"] = chosen.map((o) => optionJson(o, p.placementId, request));
    else {
      const fallback = p.activity.fallbackId ? index.offer(p.activity.fallbackId) : undefined;
      item["xdm:fallback"] = fallback
        ? optionJson(fallback, p.placementId, request)
        : { "xdm:id": p.activity.fallbackId ?? null, "repo:etag": 0 };
    }
    return item;
  });
  const response: Json = {
    "xdm:propositionId": envelope.propositionId,
    "xdm:propositions": items,
    "ode:createDate": envelope.now,
  };
  if (request.decisionRequestId !== undefined) response["xdm:decisionRequestId"] = request.decisionRequestId;
  return response;
}

function linked(id: string, instanceId: string, containerId: string, etag: number): Json {
  return {
    "@id": id,
    _links: { self: { href: `/${containerId}/instances/${instanceId}` } },
    "repo:etag": String(etag),
  };
}

/** `/offers?activityId=…`: per activity, its approved in-filter offers with a representation, and the fallback. */
export function activityOffersResponse(index: DecisionIndex, activities: readonly ActivityEntry[]): Json {
  const c = index.containerId;
  return {
    "xdm:activityOffers": activities.map((a) => {
      const seen = new Set<OfferEntry>();
      for (const placement of index.placementsOf(a))
        for (const cand of index.candidates(a, placement)) seen.add(cand.offer);
      const offers = [...seen].sort((x, y) => y.priority - x.priority || (x.id < y.id ? -1 : 1));
      const fallback = a.fallbackId ? index.offer(a.fallbackId) : undefined;
      const entry: Json = {
        "xdm:offerActivity": linked(a.id, a.instanceId, c, a.etag),
        "xdm:offers": offers.map((o) => linked(o.id, o.instanceId, c, o.etag)),
      };
      if (fallback) entry["xdm:fallbackOffer"] = linked(fallback.id, fallback.instanceId, c, fallback.etag);
      return entry;
    }),
  };
}
