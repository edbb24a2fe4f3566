import type { DeliveryRequest, MboxRequest, MboxResponse } from "../protocol/delivery";
import type { GetOffersResult } from "./result";

/**
 * getAttributes (feature flags, docs/target-behaviour.md#attributes): the json option content of each mbox, shallow-merged
 * (prefetch mboxes first, then execute mboxes; later keys win).
 */
export interface Attributes {
  getValue(mboxName: string, key: string): unknown;
  asObject(mboxName?: string): Record<string, unknown>;
  toJSON(): Record<string, unknown>;
  getResponse(): GetOffersResult;
}

/** Adds the names not requested anywhere to execute.mboxes (index = highest existing + 1, ...). New objects only. */
export function withAttributeMboxes(request: DeliveryRequest, names: readonly string[]): DeliveryRequest {
  const requested = new Set<unknown>();
  for (const mode of ["prefetch", "execute"] as const) {
    for (const m of (request[mode]?.mboxes ?? []) as MboxRequest[]) if (m && m.name !== undefined) requested.add(m.name);
  }
  const existing = (request.execute?.mboxes ?? []) as MboxRequest[];
  let next = existing.reduce((max, m) => (typeof m?.index === "number" && m.index > max ? m.index : max), 0) + 1;
  const added: MboxRequest[] = [];
  for (const name of names) {
    if (requested.has(name)) continue;
    requested.add(name);
    added.push({ name, index: next++ });
  }
  if (added.length === 0) return request;
  return { ...request, execute: { ...(request.execute ?? {}), mboxes: [...existing, ...added] } };
}

export function createAttributes(result: GetOffersResult): Attributes {
  const byMbox = new Map<string, Record<string, unknown>>();
  const collect = (mboxes: MboxResponse[] | undefined) => {
    for (const mbox of mboxes ?? []) {
      if (!mbox || typeof mbox.name !== "string") continue;
      const target = byMbox.get(mbox.name) ?? {};
      for (const option of mbox.options ?? []) {
        if (option?.type === "json" && option.content && typeof option.content === "object") {
          Object.assign(target, option.content);
        }
      }
      byMbox.set(mbox.name, target);
    }
  };
  collect(result.response.prefetch?.mboxes);
  collect(result.response.execute?.mboxes);
  const all = () => Object.fromEntries([...byMbox].map(([k, v]) => [k, { ...v }]));
  return {
    getValue(mboxName, key) {
      const values = byMbox.get(mboxName);
      if (values && Object.prototype.hasOwnProperty.call(values, key)) return values[key];
      return new Error(`Attribute '${key}' does not exist for mbox '${mboxName}'`);
    },
    asObject(mboxName) {
      return mboxName === undefined ? all() : { ...(byMbox.get(mboxName) ?? {}) };
    },
    toJSON: all,
    getResponse: () => result,
  };
}
