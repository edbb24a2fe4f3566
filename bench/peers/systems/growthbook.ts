/**
 * GrowthBook (server-side `GrowthBookClient`, features given in-process with `initSync`, no tracking
 * callback): each location is a feature whose experiment rule splits 50/50 on the `id` attribute;
 * the targeted ones carry a condition on the raw `url` / `userAgent` attributes.
 */
import { GrowthBookClient } from "@growthbook/growthbook";
import { JOB_LOCATIONS, LOCATION_AUDIENCES, visit, type Answer } from "../jobs";
import { packageVersion, type System } from "./types";

const CONDITIONS: Record<string, Record<string, unknown> | undefined> = Object.fromEntries(
  Object.entries(LOCATION_AUDIENCES).map(([name, a]) => [name, a && { [a.attribute]: { $regex: a.mark } }]),
);

function features(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(CONDITIONS)) {
    const condition = CONDITIONS[name];
    out[name] = {
      defaultValue: null,
      rules: [
        {
          key: name,
          variations: ["A", "B"],
          weights: [0.5, 0.5],
          coverage: 1,
          hashAttribute: "id",
          hashVersion: 2,
          ...(condition ? { condition } : {}),
        },
      ],
    };
  }
  return out;
}

export const growthbook: System = {
  id: "growthbook",
  title: "GrowthBook",
  version: () => packageVersion("@growthbook/growthbook"),
  async create(job) {
    const client = new GrowthBookClient();
    client.initSync({ payload: { features: features() as never } });
    const locations = JOB_LOCATIONS[job];
    return {
      call(i) {
        const v = visit(i);
        const user = { attributes: { id: v.visitorId, url: v.url, userAgent: v.userAgent } };
        const out: unknown[] = new Array(locations.length);
        for (let k = 0; k < locations.length; k++) out[k] = client.getFeatureValue(locations[k]!, null, user);
        return out;
      },
      answers: (result) => (result as Answer[]).map((x) => x ?? null),
      async close() {
        client.destroy();
      },
    };
  },
};
