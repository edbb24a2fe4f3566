/**
 * Optimizely Feature Experimentation (JavaScript SDK, static datafile, no event processor, decision
 * events disabled): each location is a flag whose experiment splits traffic 50/50; the targeted
 * experiments have an audience (`substring` on the raw `url` / `userAgent` attributes), and the flag's
 * rollout has no rule, so an excluded visitor gets no variation.
 */
import {
  createInstance,
  createStaticProjectConfigManager,
  OptimizelyDecideOption,
} from "@optimizely/optimizely-sdk";
import { JOB_LOCATIONS, LOCATION_AUDIENCES, visit, type Answer } from "../jobs";
import { packageVersion, type System } from "./types";

const AUDIENCES = LOCATION_AUDIENCES;

function datafile(): Record<string, unknown> {
  const names = Object.keys(AUDIENCES);
  const audiences: unknown[] = [];
  const experiments: unknown[] = [];
  const featureFlags: unknown[] = [];
  const rollouts: unknown[] = [];
  names.forEach((name, k) => {
    const audience = AUDIENCES[name];
    const id = String(1000 + k * 10);
    if (audience) {
      const condition = {
        name: audience.attribute,
        type: "custom_attribute",
        match: "substring",
        value: audience.mark,
      };
      audiences.push({
        id: `${id}9`,
        name: `${name}-audience`,
        conditions: JSON.stringify(["and", ["or", ["or", condition]]]),
      });
    }
    const variation = (key: string, n: number) => ({
      id: `${id}${n}`,
      key,
      featureEnabled: true,
      variables: [],
    });
    experiments.push({
      id,
      key: `${name}-experiment`,
      status: "Running",
      layerId: `${id}8`,
      audienceIds: audience ? [`${id}9`] : [],
      audienceConditions: audience ? ["or", `${id}9`] : [],
      forcedVariations: {},
      variations: [variation("A", 1), variation("B", 2)],
      trafficAllocation: [
        { entityId: `${id}1`, endOfRange: 5000 },
        { entityId: `${id}2`, endOfRange: 10000 },
      ],
    });
    featureFlags.push({ id: `${id}7`, key: name, rolloutId: `${id}6`, experimentIds: [id], variables: [] });
    rollouts.push({ id: `${id}6`, experiments: [] });
  });
  const attributes = [
    { id: "1", key: "url" },
    { id: "2", key: "userAgent" },
  ];
  return {
    version: "4",
    projectId: "100",
    accountId: "100",
    revision: "1",
    anonymizeIP: true,
    botFiltering: false,
    sdkKey: "bench-peers",
    environmentKey: "production",
    attributes,
    audiences,
    typedAudiences: [],
    events: [],
    groups: [],
    layers: [],
    experiments,
    featureFlags,
    rollouts,
    integrations: [],
  };
}

export const optimizely: System = {
  id: "optimizely",
  title: "Optimizely",
  version: () => packageVersion("@optimizely/optimizely-sdk"),
  async create(job) {
    const client = createInstance({
      projectConfigManager: createStaticProjectConfigManager({ datafile: JSON.stringify(datafile()) }),
      defaultDecideOptions: [OptimizelyDecideOption.DISABLE_DECISION_EVENT],
    });
    await client.onReady({ timeout: 10_000 });
    const locations = [...JOB_LOCATIONS[job]];
    return {
      call(i) {
        const v = visit(i);
        const user = client.createUserContext(v.visitorId, { url: v.url, userAgent: v.userAgent });
        return locations.length === 1 ? user.decide(locations[0]!) : user.decideForKeys(locations);
      },
      answers(result) {
        type Decision = { variationKey: string | null };
        const one = result as Decision;
        const all = result as Record<string, Decision>;
        const list = locations.length === 1 ? [one] : locations.map((name) => all[name]!);
        return list.map((d) => (d.variationKey as Answer) ?? null);
      },
      async close() {
        await client.close();
      },
    };
  },
};
