/**
 * The jobs of bench/peers/jobs.ts as a Target on-device artifact (the shape Target publishes: one
 * rule per experience, the split as allocation ranges, audiences as json-logic on the page URL and
 * the browser), for our getOffers and our engine entry.
 */
import { DEFAULT_RESPONSE_TOKENS } from "../../src/artifact/schema";
import { AB_LOCATION, UA_LOCATION, URL_LOCATION, URL_MARK } from "./jobs";

const SPLIT = {
  A: { and: [{ "<=": [0, { var: "allocation" }] }, { ">=": [50, { var: "allocation" }] }] },
  B: { and: [{ "<": [50, { var: "allocation" }] }, { ">=": [100, { var: "allocation" }] }] },
};

const AUDIENCES: Record<string, unknown> = {
  [AB_LOCATION]: undefined,
  [URL_LOCATION]: { in: [URL_MARK, { var: "page.url_lc" }] },
  [UA_LOCATION]: { "==": [{ var: "user.browserType" }, "chrome"] },
};

function rule(location: string, activityId: number, experience: "A" | "B"): Record<string, unknown> {
  const index = experience === "A" ? 0 : 1;
  const audience = AUDIENCES[location];
  return {
    ruleKey: String(activityId),
    activityId,
    meta: {
      "activity.id": activityId,
      "activity.name": `${location} ab`,
      "activity.type": "ab",
      "experience.id": index,
      "experience.name": `Experience ${experience}`,
      "location.name": location,
      "location.type": "mbox",
      "location.id": 0,
      "audience.ids": audience ? [activityId + 1] : [],
      "offer.id": activityId * 10 + index,
      "offer.name": `/${location}/experiences/${index}/pages/0/zones/0`,
      "option.id": index + 2,
      "option.name": `Offer${index + 2}`,
    },
    condition: audience ? { and: [SPLIT[experience], audience] } : SPLIT[experience],
    consequence: {
      name: location,
      options: [
        {
          type: "json",
          eventToken: Buffer.from(`${location}:${experience}`).toString("base64"),
          content: { experience, name: location },
        },
      ],
      metrics: [],
    },
  };
}

/** A fresh artifact object (each client gets its own). */
export function peersArtifact(): Record<string, unknown> {
  const locations = [AB_LOCATION, URL_LOCATION, UA_LOCATION];
  const mboxes: Record<string, unknown[]> = {};
  locations.forEach((location, k) => {
    const activityId = 130100 + k * 100;
    mboxes[location] = [rule(location, activityId, "A"), rule(location, activityId, "B")];
  });
  return {
    version: "1.0.0",
    meta: { generatedAt: new Date().toISOString(), environment: 4437, clientCode: "targettesting" },
    globalMbox: "target-global-mbox",
    geoTargetingEnabled: false,
    responseTokens: DEFAULT_RESPONSE_TOKENS,
    remoteMboxes: [],
    remoteViews: [],
    localMboxes: locations,
    localViews: [],
    rules: { mboxes, views: {} },
  };
}
