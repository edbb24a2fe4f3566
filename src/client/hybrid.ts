import { DEFAULT_GLOBAL_MBOX } from "../artifact/schema";
import type { RemoteDependency } from "../engine/remote-dependency";
import type {
  DeliveryRequest,
  DeliveryResponse,
  MboxRequest,
  MboxResponse,
  ViewRequest,
} from "../protocol/delivery";

/**
 * Hybrid split-and-merge: the local part of a request is decided on-device, only what the artifact
 * cannot decide goes to the Delivery API in one call, and the answers are merged in request order.
 */

type Mode = "execute" | "prefetch";
const MODES: readonly Mode[] = ["execute", "prefetch"];

export interface SplitRequest {
  local: DeliveryRequest;
  remote: DeliveryRequest | undefined;
}

function hasContent(part: Record<string, unknown>): boolean {
  return Object.keys(part).length > 0;
}

export function splitRequest(request: DeliveryRequest, dependency: RemoteDependency): SplitRequest {
  const remoteMboxes = new Set(dependency.remoteMboxes);
  const remoteViews = new Set(dependency.remoteViews);
  const pageLoadRemote = remoteMboxes.has(DEFAULT_GLOBAL_MBOX);
  const local: DeliveryRequest = { ...request };
  const remote: DeliveryRequest = { ...request };
  delete local.execute;
  delete local.prefetch;
  delete remote.execute;
  delete remote.prefetch;
  // The caller's own notifications (kept on `remote`) ride on the remote call when there is one, as in the
  // reference when it sends a hybrid request remotely; the engine ignores them.
  let anyRemote = false;
  for (const mode of MODES) {
    const part = request[mode] as Record<string, unknown> | undefined;
    if (!part) continue;
    const l: Record<string, unknown> = {};
    const r: Record<string, unknown> = {};
    if (Array.isArray(part.mboxes)) {
      const mboxes = part.mboxes as MboxRequest[];
      const lm = mboxes.filter((m) => !remoteMboxes.has(m.name as string));
      const rm = mboxes.filter((m) => remoteMboxes.has(m.name as string));
      if (lm.length > 0) l.mboxes = lm;
      if (rm.length > 0) r.mboxes = rm;
    }
    if (Array.isArray(part.views)) {
      const views = part.views as ViewRequest[];
      const named = views.filter((v) => v.name !== undefined);
      const all = views.filter((v) => v.name === undefined);
      const lv = [...named.filter((v) => !remoteViews.has(v.name as string)), ...all];
      const rv: ViewRequest[] = named.filter((v) => remoteViews.has(v.name as string));
      // "All views" asks the remote side for exactly the views only it can decide.
      if (all.length > 0) {
        const asked = new Set(rv.map((v) => v.name));
        for (const name of dependency.remoteViews) if (!asked.has(name)) rv.push({ ...all[0], name });
      }
      if (lv.length > 0) l.views = lv;
      if (rv.length > 0) r.views = rv;
    }
    if (part.pageLoad !== undefined) {
      if (pageLoadRemote) r.pageLoad = part.pageLoad;
      else l.pageLoad = part.pageLoad;
    }
    if (hasContent(l)) (local as Record<string, unknown>)[mode] = l;
    if (hasContent(r)) {
      (remote as Record<string, unknown>)[mode] = r;
      anyRemote = true;
    }
  }
  return { local, remote: anyRemote ? remote : undefined };
}

function entryKey(entry: { name?: unknown; index?: unknown }): string {
  return `${String(entry.index)}\u0000${String(entry.name)}`;
}

function takeEntries(pool: Map<string, MboxResponse[]>, key: string): MboxResponse[] {
  const list = pool.get(key);
  if (!list) return [];
  pool.delete(key);
  return list;
}

function pool(entries: MboxResponse[] | undefined): Map<string, MboxResponse[]> {
  const map = new Map<string, MboxResponse[]>();
  for (const entry of entries ?? []) {
    const key = entryKey(entry);
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  }
  return map;
}

/**
 * Merges the local and remote answers in request order. When `remote` is undefined (the remote
 * call failed), remote mboxes get blank `{name, index}` entries, as on-device decisioning does.
 */
export function mergeResponses(
  request: DeliveryRequest,
  dependency: RemoteDependency,
  local: DeliveryResponse,
  remote: DeliveryResponse | undefined,
): DeliveryResponse {
  const remoteMboxes = new Set(dependency.remoteMboxes);
  const merged: DeliveryResponse = {
    status: remote ? 200 : 206,
    requestId: local.requestId,
    client: local.client,
    id: remote?.id ?? local.id,
  };
  if (remote?.edgeHost) merged.edgeHost = remote.edgeHost;
  if (remote?.telemetryServerToken) merged.telemetryServerToken = remote.telemetryServerToken;
  for (const mode of MODES) {
    const part = request[mode] as Record<string, unknown> | undefined;
    if (!part) continue;
    const l = (local[mode] ?? {}) as Record<string, unknown>;
    const r = (remote?.[mode] ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (Array.isArray(part.mboxes)) {
      const localPool = pool(l.mboxes as MboxResponse[] | undefined);
      const remotePool = pool(r.mboxes as MboxResponse[] | undefined);
      const list: MboxResponse[] = [];
      for (const m of part.mboxes as MboxRequest[]) {
        const key = entryKey(m);
        if (remoteMboxes.has(m.name as string)) {
          const got = takeEntries(remotePool, key);
          if (got.length > 0) list.push(...got);
          else if (!remote) list.push({ name: m.name, index: m.index });
        } else {
          list.push(...takeEntries(localPool, key));
        }
      }
      // Anything the remote side returned that the request order did not claim is kept, not lost.
      for (const rest of remotePool.values()) list.push(...rest);
      out.mboxes = list;
    }
    if (Array.isArray(part.views)) {
      out.views = [...((l.views as unknown[]) ?? []), ...((r.views as unknown[]) ?? [])];
    }
    if (part.pageLoad !== undefined) {
      const pageLoad = l.pageLoad ?? r.pageLoad;
      if (pageLoad !== undefined) out.pageLoad = pageLoad;
    }
    // Page-level click metrics (Delivery API `prefetch.metrics`) are not tied to an mbox or view: keep both sides'.
    const metrics = [...(Array.isArray(l.metrics) ? l.metrics : []), ...(Array.isArray(r.metrics) ? r.metrics : [])];
    if (metrics.length > 0) out.metrics = metrics;
    (merged as Record<string, unknown>)[mode] = out;
  }
  return merged;
}
