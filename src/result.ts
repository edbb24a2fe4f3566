import type { DeliveryRequest, DeliveryResponse } from "./engine/types";
import type { DecisioningMethod } from "./options";

/** The SDK-shaped result of getOffers (spec §2.4); keys with empty values are removed. */
export interface Cookie {
  name: string;
  value: string;
  maxAge: number;
}

export interface ArtifactFreshness {
  version: string;
  generatedAt?: string;
  etag?: string;
  retrievedAt: number;
  ageMs: number;
  source: string;
}

export interface ResultMeta {
  decisioningMethod: DecisioningMethod;
  remoteMboxes: string[];
  remoteViews: string[];
  /** Which artifact decided the local part, and how old it is. */
  artifact?: ArtifactFreshness;
  /** Set when the remote part of a hybrid call failed; the local part is still returned. */
  remoteError?: { code: string; message: string; status?: number };
}

export interface GetOffersResult {
  visitorState?: Record<string, unknown>;
  request: DeliveryRequest;
  response: DeliveryResponse;
  targetCookie?: Cookie;
  targetLocationHintCookie?: Cookie;
  analyticsDetails?: Record<string, unknown>[];
  trace?: Record<string, unknown>[];
  responseTokens?: Record<string, unknown>[];
  meta: ResultMeta;
}

const isNonEmptyObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0;

type Item = { analytics?: unknown; trace?: unknown; options?: { responseTokens?: unknown }[] } | undefined;

/** The items of a response in the reference's order: execute pageLoad, execute mboxes, prefetch pageLoad, views, mboxes. */
function responseItems(response: DeliveryResponse): Item[] {
  const items: Item[] = [];
  const e = response.execute ?? {};
  const p = response.prefetch ?? {};
  items.push(e.pageLoad as Item);
  if (Array.isArray(e.mboxes)) items.push(...(e.mboxes as Item[]));
  items.push(p.pageLoad as Item);
  if (Array.isArray(p.views)) items.push(...(p.views as Item[]));
  if (Array.isArray(p.mboxes)) items.push(...(p.mboxes as Item[]));
  return items;
}

export function collectDetails(response: DeliveryResponse): {
  analyticsDetails?: Record<string, unknown>[];
  trace?: Record<string, unknown>[];
  responseTokens?: Record<string, unknown>[];
} {
  const analytics: Record<string, unknown>[] = [];
  const traces: Record<string, unknown>[] = [];
  const tokens: Record<string, unknown>[] = [];
  for (const item of responseItems(response)) {
    if (!item) continue;
    if (isNonEmptyObject(item.analytics)) analytics.push(item.analytics);
    if (isNonEmptyObject(item.trace)) traces.push(item.trace);
    if (Array.isArray(item.options)) {
      for (const option of item.options) {
        if (isNonEmptyObject(option?.responseTokens)) tokens.push(option.responseTokens);
      }
    }
  }
  return {
    ...(analytics.length > 0 ? { analyticsDetails: analytics } : {}),
    ...(traces.length > 0 ? { trace: traces } : {}),
    ...(tokens.length > 0 ? { responseTokens: tokens } : {}),
  };
}
