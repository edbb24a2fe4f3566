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

/** The answer of the common case, shared (frozen: callers only read it). */
const NOTHING_REMOTE: RemoteDependency = Object.freeze({
  remoteNeeded: false,
  remoteMboxes: Object.freeze([]) as unknown as string[],
  remoteViews: Object.freeze([]) as unknown as string[],
});

/** A name the artifact decides on its own: listed as local and not as remote. */
function isLocalMbox(compiled: CompiledArtifact, name: unknown): boolean {
  return compiled.localMboxes.has(name as string) && !compiled.remoteMboxSet.has(name as string);
}

/**
 * The common case, answered without building name lists: no views, and every requested mbox
 * (pageLoad: the global mbox) is local. Anything else takes the full path below.
 */
function allLocal(compiled: CompiledArtifact, request: DeliveryRequest): boolean {
  for (const mode of MODES) {
    const part = request[mode] as Record<string, unknown> | undefined;
    if (part === undefined || part === null) continue;
    if (part.views !== undefined) return false;
    if (isPlainObject(part.pageLoad) && !isLocalMbox(compiled, DEFAULT_GLOBAL_MBOX)) return false;
    const items = part.mboxes;
    if (!Array.isArray(items)) continue;
    for (let i = 0; i < items.length; i++) {
      const name = (items[i] as { name?: unknown } | null)?.name;
      if (name !== undefined && !isLocalMbox(compiled, name)) return false;
    }
  }
  return true;
}

/**
 * Which requested mboxes and views the artifact cannot decide (docs/target-behaviour.md#remote-dependency): listed as remote, or not
 * listed as local (an unknown mbox counts as remote). pageLoad counts as `target-global-mbox`
 * (the constant, as the reference does); `views: [{}]` (all views) pulls in every remote view.
 */
export function remoteDependency(compiled: CompiledArtifact, request: DeliveryRequest): RemoteDependency {
  if (allLocal(compiled, request)) return NOTHING_REMOTE;
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
