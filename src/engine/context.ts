import { buildMboxContext } from "./params";
import { READS_GEO, READS_PAGE, READS_PARAMETERS, READS_REFERRING, READS_TIME, READS_USER } from "./reads";
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
 * The parts of a request's base context, each computed on first use and then kept for the rest of
 * the decision: a decision whose reachable rules read only `allocation` parses no URL and no user
 * agent. Shared parts (`page`, `referring`) are frozen and may come from a cache.
 */
export class RequestContext {
  readonly #context: Record<string, unknown>;
  readonly #now: number;
  #page: UrlContext | undefined;
  #referring: UrlContext | undefined;
  #user: UserContext | undefined;
  #geo: GeoContext | undefined;
  #date: Date | undefined;

  constructor(request: DeliveryRequest, now: number) {
    this.#context = asRecord(request.context) ?? {};
    this.#now = now;
  }

  get page(): UrlContext {
    return (this.#page ??= parseUrlContext(asRecord(this.#context.address)?.url));
  }

  get referring(): UrlContext {
    return (this.#referring ??= parseUrlContext(asRecord(this.#context.address)?.referringUrl));
  }

  get user(): UserContext {
    if (this.#user === undefined) {
      const browser = parseUserAgent(this.#context.userAgent, asRecord(this.#context.clientHints));
      this.#user = {
        browserType: browser.browserType,
        platform: browser.platform,
        locale: "en",
        browserVersion: browser.browserVersion,
      };
    }
    return this.#user;
  }

  get geo(): GeoContext {
    if (this.#geo === undefined) {
      const geo = asRecord(this.#context.geo);
      this.#geo = {
        country: geo?.countryCode as string | undefined,
        region: geo?.stateCode as string | undefined,
        city: geo?.city as string | undefined,
        latitude: geo?.latitude as number | undefined,
        longitude: geo?.longitude as number | undefined,
      };
    }
    return this.#geo;
  }

  get #time(): Date {
    return (this.#date ??= new Date(this.#now));
  }

  /** Every part, as one object. */
  base(): BaseContext {
    const date = this.#time;
    const day = date.getUTCDay();
    return {
      current_timestamp: date.getTime(),
      current_time: twoDigits(date.getUTCHours()) + twoDigits(date.getUTCMinutes()),
      current_day: day === 0 ? 7 : day,
      user: this.user,
      page: this.page,
      referring: this.referring,
      geo: this.geo,
    };
  }

  /**
   * The rule context of a request detail with only the parts in `reads` (READS_* bits) filled; the
   * others are undefined, which no rule reachable with these `reads` looks at. With every bit set
   * it equals `createRuleContext(base(), detail)`.
   */
  ruleContext(reads: number, detail: RequestDetails | undefined): RuleContext {
    let page: UrlContext | undefined;
    let referring: UrlContext | undefined;
    if ((reads & (READS_PAGE | READS_REFERRING)) !== 0) {
      if (detail?.address !== undefined) {
        page = referring = parseUrlContext(asRecord(detail.address)?.url);
      } else {
        page = this.page;
        referring = this.referring;
      }
    }
    let timestamp: number | undefined;
    let time: string | undefined;
    let day: number | undefined;
    if ((reads & READS_TIME) !== 0) {
      const date = this.#time;
      const weekday = date.getUTCDay();
      timestamp = date.getTime();
      time = twoDigits(date.getUTCHours()) + twoDigits(date.getUTCMinutes());
      day = weekday === 0 ? 7 : weekday;
    }
    return {
      current_timestamp: timestamp!,
      current_time: time!,
      current_day: day!,
      user: (reads & READS_USER) !== 0 ? this.user : undefined!,
      page: page!,
      referring: referring!,
      geo: (reads & READS_GEO) !== 0 ? this.geo : undefined!,
      mbox: (reads & READS_PARAMETERS) !== 0 ? buildMboxContext(detail?.parameters) : undefined!,
      allocation: 0,
    };
  }
}

/**
 * The base context of a request at `now` (epoch ms). Shared parts (`page`, `referring`) are frozen
 * and may be cached; the returned object itself is fresh.
 */
export function createBaseContext(request: DeliveryRequest, now: number): BaseContext {
  return new RequestContext(request, now).base();
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
