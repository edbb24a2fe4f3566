/**
 * LaunchDarkly (server SDK, flags from the TestData source, events and diagnostics off): each
 * location is a flag whose rollout splits 50/50 on the context key; the targeted ones serve the
 * rollout from a rule (`contains` on the raw `url` / `userAgent` attributes) and "none" otherwise.
 */
import { init, integrations, type LDClient } from "@launchdarkly/node-server-sdk";
import { JOB_LOCATIONS, LOCATION_AUDIENCES, visit, type Answer } from "../jobs";
import { packageVersion, type System } from "./types";

const NONE = "none";
const SPLIT = {
  rollout: {
    variations: [
      { variation: 0, weight: 50_000 },
      { variation: 1, weight: 50_000 },
    ],
  },
};
const TARGETING = LOCATION_AUDIENCES;

function flag(key: string): Record<string, unknown> {
  const target = TARGETING[key];
  return {
    key,
    version: 1,
    on: true,
    salt: `${key}-salt`,
    variations: ["A", "B", NONE],
    offVariation: 2,
    targets: [],
    prerequisites: [],
    rules: target
      ? [
          {
            id: `${key}-rule`,
            clauses: [{ attribute: target.attribute, op: "contains", values: [target.mark], negate: false }],
            ...SPLIT,
          },
        ]
      : [],
    fallthrough: target ? { variation: 2 } : SPLIT,
  };
}

const quietLogger = { error() {}, warn() {}, info() {}, debug() {} };

export const launchdarkly: System = {
  id: "launchdarkly",
  title: "LaunchDarkly",
  version: () => packageVersion("@launchdarkly/node-server-sdk"),
  async create(job) {
    const td = new integrations.TestData();
    for (const key of Object.keys(TARGETING)) await td.usePreconfiguredFlag(flag(key));
    const client: LDClient = init("sdk-bench-key", {
      updateProcessor: td.getFactory(),
      sendEvents: false,
      diagnosticOptOut: true,
      logger: quietLogger,
    });
    await client.waitForInitialization({ timeout: 10 });
    const locations = JOB_LOCATIONS[job];
    return {
      async call(i) {
        const v = visit(i);
        const context = { kind: "user", key: v.visitorId, url: v.url, userAgent: v.userAgent };
        const out: unknown[] = new Array(locations.length);
        for (let k = 0; k < locations.length; k++)
          out[k] = await client.variation(locations[k]!, context, NONE);
        return out;
      },
      answers: (result) => (result as string[]).map((x) => (x === NONE ? null : (x as Answer))),
      async close() {
        client.close();
      },
    };
  },
};
