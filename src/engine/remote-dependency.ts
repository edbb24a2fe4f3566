import { DEFAULT_GLOBAL_MBOX } from "../artifact/schema";
import type { CompiledArtifact } from "./compile";
import type { DeliveryRequest } from "../protocol/delivery";

export interface RemoteDependency {
  remoteNeeded: boolean;
  remoteMboxes: string[];
  remoteViews: string[];
}

const MODES = ["prefetch", "execute"] as const;

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

function requestedNames(request: DeliveryRequest, key: "mboxes" | "views"): string[] {
  const names: string[] = [];
  const seen = new Set<unknown>();
  for (const mode of MODES) {
    const items = (request[mode] as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const name = (item as { name?: unknown } | null)?.name;
      if (name !== undefined && !seen.has(name)) {
        seen.add(name);
        names.push(name as string);
      }
    }
  }
  return names;
}

function hasViewsArray(request: DeliveryRequest): boolean {
  return MODES.some((mode) => Array.isArray((request[mode] as Record<string, unknown> | undefined)?.views));
}

/**
 * Which requested mboxes and views the artifact cannot decide (docs/target-behaviour.md#remote-dependency): listed as remote, or not
 * listed as local (an unknown mbox counts as remote). pageLoad counts as `target-global-mbox`
 * (the constant, as the reference does); `views: [{}]` (all views) pulls in every remote view.
 */
export function remoteDependency(compiled: CompiledArtifact, request: DeliveryRequest): RemoteDependency {
  const mboxes = requestedNames(request, "mboxes");
  if (isPlainObject(request.execute?.pageLoad) || isPlainObject(request.prefetch?.pageLoad)) {
    mboxes.push(DEFAULT_GLOBAL_MBOX);
  }
  const requestedMboxSet = new Set(mboxes);
  const remoteMboxes = new Set<string>();
  for (const name of compiled.remoteMboxes) if (requestedMboxSet.has(name)) remoteMboxes.add(name);
  for (const name of mboxes) if (!compiled.localMboxes.has(name)) remoteMboxes.add(name);

  const views = requestedNames(request, "views");
  const remoteViews = new Set<string>();
  if (hasViewsArray(request) && views.length === 0) {
    for (const name of compiled.remoteViews) remoteViews.add(name);
  } else {
    const requestedViewSet = new Set(views);
    for (const name of compiled.remoteViews) if (requestedViewSet.has(name)) remoteViews.add(name);
    for (const name of views) if (!compiled.localViews.has(name)) remoteViews.add(name);
  }
  return {
    remoteNeeded: remoteMboxes.size > 0 || remoteViews.size > 0,
    remoteMboxes: [...remoteMboxes],
    remoteViews: [...remoteViews],
  };
}
