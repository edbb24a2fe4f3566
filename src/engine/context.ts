import { buildMboxContext } from "./params";
import type { DeliveryRequest, RequestDetails } from "../protocol/delivery";
import { parseUrlContext, type UrlContext } from "./url";
import { parseUserAgent } from "./user-agent";

export type { UrlContext } from "./url";

export interface UserContext {
  browserType: string;
  platform: string;
  locale: "en";
  browserVersion: number;
}

/** Values are copied from `context.geo` as sent; keys are always present (undefined when absent). */
export interface GeoContext {
  country?: string;
  region?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

/** The json-logic data of a request, built once per decision (docs/target-behaviour.md#rule-context). */
export interface BaseContext {
  current_timestamp: number;
  /** UTC `HHmm`. */
  current_time: string;
  /** UTC ISO weekday, Monday = 1 … Sunday = 7. */
  current_day: number;
  user: UserContext;
  page: UrlContext;
  referring: UrlContext;
  geo: GeoContext;
}

/** What a rule's condition sees: the base context plus `mbox`; `allocation` is set per rule by the decision code. */
export interface RuleContext extends BaseContext {
  mbox: Record<string, unknown>;
  allocation: number;
}

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : String(value));

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
}

/**
 * The base context of a request at `now` (epoch ms). Shared parts (`page`, `referring`) are frozen
 * and may be cached; the returned object itself is fresh.
 */
export function createBaseContext(request: DeliveryRequest, now: number): BaseContext {
  const context = asRecord(request.context) ?? {};
  const address = asRecord(context.address);
  const geo = asRecord(context.geo);
  const browser = parseUserAgent(context.userAgent, asRecord(context.clientHints));
  const date = new Date(now);
  const day = date.getUTCDay();
  return {
    current_timestamp: date.getTime(),
    current_time: twoDigits(date.getUTCHours()) + twoDigits(date.getUTCMinutes()),
    current_day: day === 0 ? 7 : day,
    user: {
      browserType: browser.browserType,
      platform: browser.platform,
      locale: "en",
      browserVersion: browser.browserVersion,
    },
    page: parseUrlContext(address?.url),
    referring: parseUrlContext(address?.referringUrl),
    geo: {
      country: geo?.countryCode as string | undefined,
      region: geo?.stateCode as string | undefined,
      city: geo?.city as string | undefined,
      latitude: geo?.latitude as number | undefined,
      longitude: geo?.longitude as number | undefined,
    },
  };
}

/**
 * The context for evaluating rules against one request detail: the base context plus `mbox`
 * (the detail's parameters) and `allocation` (0 here; set per rule by the caller, which may mutate
 * the returned object: it is fresh on every call). When the detail has an `address` (any defined
 * value), both `page` and `referring` come from `address.url`: the reference does the same (it never
 * reads `address.referringUrl` there; see docs/target-behaviour.md#rule-context).
 */
export function createRuleContext(base: BaseContext, detail: RequestDetails | undefined): RuleContext {
  let page = base.page;
  let referring = base.referring;
  if (detail?.address !== undefined) {
    page = referring = parseUrlContext(asRecord(detail.address)?.url);
  }
  return {
    current_timestamp: base.current_timestamp,
    current_time: base.current_time,
    current_day: base.current_day,
    user: base.user,
    page,
    referring,
    geo: base.geo,
    mbox: buildMboxContext(detail?.parameters),
    allocation: 0,
  };
}
