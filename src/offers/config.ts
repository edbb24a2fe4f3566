/**
 * Settings of offer decisioning in `odd serve` (flags win over the environment; docs/offers.md).
 */
import { readFileSync } from "node:fs";
import { DecisioningError } from "../errors";
import type { CappingFailureMode } from "./core/runtime";

export const OFFER_SETTINGS = [
  {
    flag: "capping",
    env: "ODD_CAPPING",
    type: "string",
    help: "capping counters: memory | redis://host:port (default memory)",
  },
  {
    flag: "capping-failure",
    env: "ODD_CAPPING_FAILURE",
    type: "string",
    help: "when the counter store is down: closed (capped offers left out) | open (default closed)",
  },
  {
    flag: "random-seed",
    env: "ODD_RANDOM_SEED",
    type: "string",
    help: "seed for reproducible tie-breaks between equal-priority offers",
  },
  {
    flag: "fixed-time",
    env: "ODD_FIXED_TIME",
    type: "string",
    help: "freeze the decision clock at this ISO time (for tests and demos only)",
  },
  {
    flag: "profiles",
    env: "ODD_PROFILES",
    type: "string",
    help: "JSON-lines file of XDM profiles for offer decisions (keyed by their primary identity)",
  },
] as const;

export interface OfferConfig {
  /** undefined: in-memory counters. */
  cappingRedisUrl: string | undefined;
  cappingFailure: CappingFailureMode;
  randomSeed: string | undefined;
  fixedTime: number | undefined;
  profilesFile: string | undefined;
}

function invalid(option: string, message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option } });
}

export function resolveOfferConfig(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
): OfferConfig {
  const get = (flag: string, envName: string) => {
    const value = flags[flag];
    if (typeof value === "string") return value;
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const capping = get("capping", "ODD_CAPPING") ?? "memory";
  if (capping !== "memory" && !/^rediss?:\/\//i.test(capping)) {
    throw invalid("capping", `capping must be memory or a redis:// URL, got "${capping}"`);
  }
  const failure = get("capping-failure", "ODD_CAPPING_FAILURE") ?? "closed";
  if (failure !== "closed" && failure !== "open")
    throw invalid("capping-failure", `capping-failure must be closed or open, got "${failure}"`);
  const fixed = get("fixed-time", "ODD_FIXED_TIME");
  const fixedTime = fixed === undefined ? undefined : Date.parse(fixed);
  if (fixedTime !== undefined && !Number.isFinite(fixedTime))
    throw invalid("fixed-time", `fixed-time must be an ISO date-time, got "${fixed}"`);
  return {
    cappingRedisUrl: capping === "memory" ? undefined : capping,
    cappingFailure: failure,
    randomSeed: get("random-seed", "ODD_RANDOM_SEED"),
    fixedTime,
    profilesFile: get("profiles", "ODD_PROFILES"),
  };
}

/** Reads the `--profiles` file (JSON lines); a missing or unreadable file is an option error. */
export function readProfilesFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(
      "profiles",
      `Cannot read the profiles file ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
