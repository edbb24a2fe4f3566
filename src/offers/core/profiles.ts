/**
 * The profile store port and its in-memory adapter. A profile is an XDM profile object keyed by
 * the primary identity of its own identity map (`{namespace}:{id}`); its experience events are
 * under `xEvent`. A request for an unknown profile gets an empty one.
 */
import { DecisioningError } from "../../errors";
import { isObject } from "./catalog";
import { primaryIdentity } from "./request";

export interface ProfileRecord {
  profile: Record<string, unknown>;
  events: unknown[];
}

export interface ProfileStore {
  get(profileKey: string): ProfileRecord | undefined;
  readonly size: number;
}

export const EMPTY_PROFILE: ProfileRecord = Object.freeze({
  profile: Object.freeze({}),
  events: Object.freeze([]) as unknown as unknown[],
});

/** The store key of an XDM profile: the primary identity of its `identityMap` (or `xdm:identityMap`). */
export function profileKeyOf(profile: Record<string, unknown>): string {
  return primaryIdentity(profile["identityMap"] ?? profile["xdm:identityMap"], "identityMap");
}

export function recordOf(profile: Record<string, unknown>): ProfileRecord {
  const events = profile["xEvent"];
  return { profile, events: Array.isArray(events) ? events : [] };
}

export function createMemoryProfileStore(profiles: Iterable<Record<string, unknown>> = []): ProfileStore {
  const byKey = new Map<string, ProfileRecord>();
  for (const p of profiles) byKey.set(profileKeyOf(p), recordOf(p));
  return {
    get: (key) => byKey.get(key),
    get size() {
      return byKey.size;
    },
  };
}

/** Parses JSON lines (one XDM profile per line; blank lines ignored); errors name the line. */
export function parseProfileLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
      if (!isObject(value)) throw new Error("not a JSON object");
      profileKeyOf(value);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new DecisioningError("ODE_ERR_INVALID_OPTION", `profiles line ${i + 1}: ${reason}`, {
        cause: err,
      });
    }
    out.push(value);
  });
  return out;
}
