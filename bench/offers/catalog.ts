/**
 * A synthetic offer catalog for the offer-decisioning benchmark: 1,000 activities over 10,000
 * offers (by default), 50 placements, 100 tags, 40 PQL eligibility rules of the kinds real rules
 * use (attribute tests, segment membership, event selections with `occurs`, context data), a third
 * of the offers behind a rule and a fifth of them capped. Generated from a fixed seed, so every
 * run decides over the same catalog; profiles carry attributes, segments and 10 events.
 */
import { OFFER_SCHEMA_PREFIX, type CatalogInstance, type CatalogSnapshot } from "../../src/offers/core/catalog";
import { seededRandom } from "../../src/offers/core/random";

export interface BenchCatalog {
  snapshot: CatalogSnapshot;
  activities: { id: string; placement: string }[];
  profiles: Record<string, unknown>[];
  offerInstances: CatalogInstance[];
}

const TEXT = "https://ns.adobe.com/experience/offer-management/content-component-text";
export const CONTEXT_SCHEMA = "https://ns.example.com/bench-context";

const RULES = [
  "person.age >= 18",
  'person.gender = "f" and person.age < 40',
  'inSegment("seg-3")',
  'segmentMembership.get("ups").get("seg-7").status in ["realized", "existing"]',
  '(select e from xEvent where e.type = "purchase" and e.timestamp occurs <= 30 days before now).count() >= 2',
  'exists e from xEvent where e.type = "view" and e.product like "sku-1%"',
  'loyalty.tier in ["gold", "platinum"]',
  "@{" + CONTEXT_SCHEMA + '}.channel = "web"',
  'person.name.matches("(?i)^a")',
  'xEvent[type = "purchase"].amount.sum() > 100',
];

function instance(type: string, n: number, body: Record<string, unknown>): CatalogInstance {
  return {
    instanceId: `bench-${type}-${n}`,
    schemas: [`${OFFER_SCHEMA_PREFIX}${type}`],
    "repo:etag": 1,
    _instance: { "@id": `xcore:${type}:${n.toString(16).padStart(15, "0")}`, ...body },
  };
}

export function buildCatalog(
  options: { activities?: number; offers?: number; seed?: string } = {},
): BenchCatalog {
  const random = seededRandom(options.seed ?? "offers-bench");
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const nActivities = options.activities ?? 1000;
  const nOffers = options.offers ?? 10_000;
  const instances: CatalogInstance[] = [];
  const placements = Array.from({ length: 50 }, (_, i) =>
    instance("offer-placement", i, { "xdm:name": `placement ${i}`, "xdm:componentType": TEXT }),
  );
  const tags = Array.from({ length: 100 }, (_, i) => instance("tag", i, { "xdm:name": `tag ${i}` }));
  const rules = Array.from({ length: 40 }, (_, i) =>
    instance("eligibility-rule", i, {
      "xdm:name": `rule ${i}`,
      "xdm:condition": { "xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": RULES[i % RULES.length] },
    }),
  );
  const idOf = (i: CatalogInstance) => i._instance["@id"] as string;
  const offerInstances = Array.from({ length: nOffers }, (_, i) => {
    const reps = [pick(placements), pick(placements)].map((p) => ({
      "xdm:placement": idOf(p),
      "xdm:components": [
        { "@type": TEXT, "dc:format": "text/plain", "dc:language": ["en"], "xdm:copyline": `offer ${i}` },
      ],
    }));
    const capped = random() < 0.2;
    return instance("personalized-offer", i, {
      "xdm:name": `offer ${i}`,
      "xdm:status": "approved",
      "xdm:rank": { "xdm:priority": Math.floor(random() * 10) },
      "xdm:tags": [idOf(pick(tags)), idOf(pick(tags))],
      "xdm:representations": reps[0]!["xdm:placement"] === reps[1]!["xdm:placement"] ? [reps[0]] : reps,
      "xdm:selectionConstraint": {
        "xdm:startDate": "2020-01-01T00:00:00Z",
        "xdm:endDate": "2099-01-01T00:00:00Z",
        ...(random() < 0.33 ? { "xdm:eligibilityRule": idOf(pick(rules)) } : {}),
      },
      ...(capped
        ? { "xdm:cappingConstraint": { "xdm:globalCap": 1_000_000_000, "xdm:profileCap": 1_000_000 } }
        : {}),
    });
  });
  const fallbacks = placements.map((p, i) =>
    instance("fallback-offer", i, {
      "xdm:name": `fallback ${i}`,
      "xdm:status": "approved",
      "xdm:representations": [
        { "xdm:placement": idOf(p), "xdm:components": [{ "@type": TEXT, "dc:format": "text/plain" }] },
      ],
    }),
  );
  const filters: CatalogInstance[] = [];
  const activities = Array.from({ length: nActivities }, (_, i) => {
    const p = i % placements.length;
    const filter = instance("offer-filter", i, {
      "xdm:name": `filter ${i}`,
      "xdm:filterType": "anyTags",
      ids: [idOf(pick(tags)), idOf(pick(tags)), idOf(pick(tags)), idOf(pick(tags))],
    });
    filters.push(filter);
    return instance("offer-activity", i, {
      "xdm:name": `activity ${i}`,
      "xdm:status": "live",
      "xdm:placement": idOf(placements[p]!),
      "xdm:filter": idOf(filter),
      "xdm:fallback": idOf(fallbacks[p]!),
    });
  });
  instances.push(
    ...placements,
    ...tags,
    ...rules,
    ...offerInstances,
    ...fallbacks,
    ...filters,
    ...activities,
  );
  const profiles = Array.from({ length: 1000 }, (_, i) => ({
    identityMap: { ECID: [{ id: `visitor-${i}`, primary: true }] },
    person: { age: 15 + (i % 60), gender: i % 2 ? "f" : "m", name: i % 3 ? "Anna" : "Bob" },
    loyalty: { tier: pick(["gold", "silver", "platinum", "none"]) },
    segmentMembership: {
      ups: Object.fromEntries(
        Array.from({ length: 10 }, (_, s) => [
          `seg-${s}`,
          { status: random() < 0.5 ? "realized" : "exited" },
        ]),
      ),
    },
    xEvent: Array.from({ length: 10 }, (_, e) => ({
      type: pick(["purchase", "view"]),
      product: `sku-${e}`,
      amount: e * 10,
      timestamp: new Date(Date.parse("2026-06-01T00:00:00Z") - e * 5 * 86_400_000).toISOString(),
    })),
  }));
  return {
    snapshot: { containerId: "bench", instances },
    activities: activities.map((a) => ({ id: idOf(a), placement: a._instance["xdm:placement"] as string })),
    profiles,
    offerInstances,
  };
}
