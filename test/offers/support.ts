/** Builders for offer catalogs and decision requests used by the offer tests. */
import {
  OFFER_SCHEMA_PREFIX,
  type CatalogInstance,
  type CatalogSnapshot,
  type EntityType,
} from "../../src/offers/core/catalog";

export const TEXT = "https://ns.adobe.com/experience/offer-management/content-component-text";
export const HTML = "https://ns.adobe.com/experience/offer-management/content-component-html";
export const IMAGELINK = "https://ns.adobe.com/experience/offer-management/content-component-imagelink";

export interface OfferSpec {
  name?: string;
  status?: string;
  priority?: number;
  tags?: string[];
  placements?: string[];
  components?: Record<string, unknown>[];
  start?: string;
  end?: string;
  rule?: string;
  globalCap?: number;
  profileCap?: number;
  characteristics?: Record<string, string>;
}

export class CatalogBuilder {
  readonly instances: CatalogInstance[] = [];
  #n = 0;
  constructor(readonly containerId = "c1") {}

  add(type: EntityType, body: Record<string, unknown>, id?: string): string {
    this.#n++;
    const atId = id ?? `xcore:${type}:${this.#n.toString(16).padStart(15, "0")}`;
    this.instances.push({
      instanceId: `inst-${type}-${this.#n}`,
      schemas: [`${OFFER_SCHEMA_PREFIX}${type};version=0.5`],
      "repo:etag": 1,
      _instance: { "@id": atId, ...body },
    });
    return atId;
  }

  placement(name = "p", componentType = TEXT): string {
    return this.add("offer-placement", {
      "xdm:name": name,
      "xdm:channel": "https://ns.adobe.com/xdm/channels/web",
      "xdm:componentType": componentType,
    });
  }

  tag(name: string): string {
    return this.add("tag", { "xdm:name": name });
  }

  rule(pql: string, name = "rule"): string {
    return this.add("eligibility-rule", {
      "xdm:name": name,
      "xdm:condition": { "xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": pql },
    });
  }

  filter(filterType: "offers" | "anyTags" | "allTags", ids: string[]): string {
    return this.add("offer-filter", { "xdm:name": "f", "xdm:filterType": filterType, ids });
  }

  #representations(spec: OfferSpec, name: string): unknown[] {
    return (spec.placements ?? []).map((p) => ({
      "xdm:placement": p,
      "xdm:components": spec.components ?? [
        {
          "@type": TEXT,
          "dc:format": "text/plain",
          "dc:language": ["en"],
          "xdm:copyline": `copy of ${name}`,
        },
      ],
    }));
  }

  offer(spec: OfferSpec): string {
    const name = spec.name ?? `offer ${this.#n + 1}`;
    const selection: Record<string, unknown> = {};
    if (spec.start) selection["xdm:startDate"] = spec.start;
    if (spec.end) selection["xdm:endDate"] = spec.end;
    if (spec.rule) selection["xdm:eligibilityRule"] = spec.rule;
    const capping: Record<string, unknown> = {};
    if (spec.globalCap !== undefined) capping["xdm:globalCap"] = spec.globalCap;
    if (spec.profileCap !== undefined) capping["xdm:profileCap"] = spec.profileCap;
    return this.add("personalized-offer", {
      "xdm:name": name,
      "xdm:status": spec.status ?? "approved",
      "xdm:rank": { "xdm:priority": spec.priority ?? 1 },
      "xdm:tags": spec.tags ?? [],
      "xdm:representations": this.#representations(spec, name),
      "xdm:selectionConstraint": selection,
      ...(Object.keys(capping).length > 0 ? { "xdm:cappingConstraint": capping } : {}),
      ...(spec.characteristics ? { "xdm:characteristics": spec.characteristics } : {}),
    });
  }

  fallback(placements: string[], name = "fallback"): string {
    return this.add("fallback-offer", {
      "xdm:name": name,
      "xdm:status": "approved",
      "xdm:representations": placements.map((p) => ({
        "xdm:placement": p,
        "xdm:components": [{ "@type": TEXT, "dc:format": "text/plain", "xdm:copyline": name }],
      })),
    });
  }

  activity(spec: {
    placement: string;
    filter: string;
    fallback: string;
    status?: string;
    start?: string;
    end?: string;
    name?: string;
  }): string {
    return this.add("offer-activity", {
      "xdm:name": spec.name ?? "activity",
      "xdm:status": spec.status ?? "live",
      ...(spec.start ? { "xdm:startDate": spec.start } : {}),
      ...(spec.end ? { "xdm:endDate": spec.end } : {}),
      "xdm:placement": spec.placement,
      "xdm:filter": spec.filter,
      "xdm:fallback": spec.fallback,
    });
  }

  snapshot(): CatalogSnapshot {
    return { containerId: this.containerId, instances: this.instances };
  }

  instance(atId: string): CatalogInstance {
    const found = this.instances.find((i) => i._instance["@id"] === atId);
    if (!found) throw new Error(`no instance ${atId}`);
    return found;
  }
}

export interface PropositionSpec {
  activity: string;
  placement: string;
  itemCount?: number;
}

/** A v1.0 decision request. */
export function decisionBody(
  propositions: PropositionSpec[],
  extra: {
    identity?: string;
    context?: unknown[];
    duplicates?: boolean | { acrossActivities?: boolean; acrossPlacements?: boolean };
    includeContent?: boolean;
    metadata?: Record<string, string[]>;
    dryRun?: boolean;
    requestId?: string;
  } = {},
): Record<string, unknown> {
  const [ns, id] = (extra.identity ?? "Email:a@b.c").split(/:(.*)/s) as [string, string];
  const body: Record<string, unknown> = {
    "xdm:propositionRequests": propositions.map((p) => ({
      "xdm:activityId": p.activity,
      "xdm:placementId": p.placement,
      ...(p.itemCount !== undefined ? { "xdm:itemCount": p.itemCount } : {}),
    })),
    "xdm:profiles": [
      {
        "xdm:identityMap": { [ns]: [{ "xdm:id": id, primary: true }] },
        ...(extra.requestId ? { "xdm:decisionRequestId": extra.requestId } : {}),
        ...(extra.context ? { "xdm:contextData": extra.context } : {}),
      },
    ],
  };
  if (extra.duplicates !== undefined) {
    body["xdm:allowDuplicatePropositions"] =
      typeof extra.duplicates === "boolean"
        ? { "xdm:acrossActivities": extra.duplicates, "xdm:acrossPlacements": extra.duplicates }
        : {
            "xdm:acrossActivities": extra.duplicates.acrossActivities,
            "xdm:acrossPlacements": extra.duplicates.acrossPlacements,
          };
  }
  if (extra.includeContent !== undefined || extra.metadata) {
    body["xdm:responseFormat"] = {
      "xdm:includeContent": extra.includeContent ?? false,
      ...(extra.metadata
        ? {
            "xdm:includeMetadata": Object.fromEntries(
              Object.entries(extra.metadata).map(([k, v]) => [`xdm:${k}`, v]),
            ),
          }
        : {}),
    };
  }
  if (extra.dryRun !== undefined) body["xdm:dryRun"] = extra.dryRun;
  return body;
}

/** Ids of the options of each proposition ("fallback:<id>" for a fallback). */
export function chosenIds(response: Record<string, unknown>): string[][] {
  const props = response["xdm:propositions"] as Record<string, any>[];
  return props.map((p) =>
    p["xdm:options"]
      ? p["xdm:options"].map((o: any) => o["xdm:id"])
      : [`fallback:${p["xdm:fallback"]["xdm:id"]}`],
  );
}
