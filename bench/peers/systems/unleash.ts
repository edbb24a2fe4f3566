/**
 * Unleash (Node client, toggles bootstrapped in-process, no polling, metrics off): each location
 * is a toggle with a 100 % flexible rollout and two variants of equal weight (sticky on userId);
 * the targeted ones carry a STR_CONTAINS constraint on the raw `url` / `userAgent` properties.
 */
import { once } from "node:events";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { JOB_LOCATIONS, LOCATION_AUDIENCES, visit, type Answer } from "../jobs";
import { packageVersion, type System } from "./types";

const CONSTRAINTS = LOCATION_AUDIENCES;

function toggle(name: string): Record<string, unknown> {
  const c = CONSTRAINTS[name];
  const variant = (v: string) => ({ name: v, weight: 500, weightType: "variable", stickiness: "userId" });
  return {
    name,
    enabled: true,
    type: "experiment",
    project: "default",
    stale: false,
    impressionData: false,
    strategies: [
      {
        name: "flexibleRollout",
        parameters: { rollout: "100", stickiness: "userId", groupId: name },
        constraints: c
          ? [
              {
                contextName: c.attribute,
                operator: "STR_CONTAINS",
                values: [c.mark],
                caseInsensitive: false,
                inverted: false,
              },
            ]
          : [],
      },
    ],
    variants: [variant("A"), variant("B")],
  };
}

export const unleash: System = {
  id: "unleash",
  title: "Unleash",
  version: () => packageVersion("unleash-client"),
  async create(job) {
    const client = new Unleash({
      appName: "bench-peers",
      url: "http://127.0.0.1:9/api/",
      refreshInterval: 0,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: Object.keys(CONSTRAINTS).map(toggle) as never },
    });
    client.on("error", () => undefined);
    client.on("warn", () => undefined);
    await once(client, "ready");
    const locations = JOB_LOCATIONS[job];
    return {
      call(i) {
        const v = visit(i);
        const context = { userId: v.visitorId, properties: { url: v.url, userAgent: v.userAgent } };
        const out: unknown[] = new Array(locations.length);
        for (let k = 0; k < locations.length; k++) out[k] = client.getVariant(locations[k]!, context);
        return out;
      },
      answers: (result) =>
        (result as { name: string; enabled: boolean }[]).map((x) => (x.enabled ? (x.name as Answer) : null)),
      async close() {
        client.destroy();
      },
    };
  },
};
