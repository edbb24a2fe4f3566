import { growthbook } from "./growthbook";
import { launchdarkly } from "./launchdarkly";
import { optimizely } from "./optimizely";
import { oursEngine, oursGetOffers } from "./ours";
import type { System } from "./types";
import { unleash } from "./unleash";

/** Every system of the comparison, ours first. */
export const SYSTEMS: readonly System[] = [
  oursGetOffers,
  oursEngine,
  growthbook,
  launchdarkly,
  unleash,
  optimizely,
];

export const PEER_IDS: readonly string[] = ["growthbook", "launchdarkly", "unleash", "optimizely"];

export type { Decider, System } from "./types";
