import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createBaseContext, createRuleContext, type BaseContext } from "../../src/engine/context";
import type { DeliveryRequest } from "../../src/protocol/delivery";
import { createRandom, URLS, USER_AGENTS, type Random } from "../support/random";
import { conformanceDir, readJson } from "../support/shared";

const FROZEN_CLOCK = Date.parse("2021-02-19T19:07:00.000Z");

interface ContextVector {
  name: string;
  request: DeliveryRequest & { prefetch: { pageLoad: Record<string, unknown> } };
  context: Record<string, any>;
}

/** JSON round trip: drops undefined geo keys like the vectors' serialisation did. */
const json = (value: unknown): any => JSON.parse(JSON.stringify(value));

function ruleContextOf(
  request: DeliveryRequest,
  detail: Record<string, unknown>,
  now: number,
): Record<string, unknown> {
  const context = json(createRuleContext(createBaseContext(request, now), detail));
  delete context.allocation;
  return context;
}

describe("conformance vectors (vectors.json `context`)", () => {
  const vectors = readJson<{ context: ContextVector[] }>(path.join(conformanceDir(), "vectors.json")).context;

  it("has the 8 vectors", () => expect(vectors).toHaveLength(8));

  for (const vector of vectors) {
    it(`builds the rule context: ${vector.name}`, () => {
      const expected = { ...vector.context };
      delete expected.allocation;
      const actual = ruleContextOf(vector.request, vector.request.prefetch.pageLoad, FROZEN_CLOCK);
      expect(actual).toEqual(expected);
      // Same key order too (traces serialise the context).
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    });
  }
});

describe("createBaseContext", () => {
  it("formats time as UTC HHmm and the ISO weekday (Sunday = 7)", () => {
    const at = (iso: string) => createBaseContext({}, Date.parse(iso));
    expect(at("2024-07-07T00:00:00.000Z")).toMatchObject({ current_time: "0000", current_day: 7 });
    expect(at("2024-07-08T09:05:59.999Z")).toMatchObject({ current_time: "0905", current_day: 1 });
    expect(at("2024-07-13T23:59:00.000Z")).toMatchObject({ current_time: "2359", current_day: 6 });
    expect(at("2021-02-19T19:07:00.000Z").current_timestamp).toBe(FROZEN_CLOCK);
  });

  it("copies geo fields as given, keys present even when absent", () => {
    const base = createBaseContext(
      { context: { geo: { countryCode: "RO", city: "Bucharest", zip: "1" } } },
      FROZEN_CLOCK,
    );
    expect(Object.keys(base.geo)).toEqual(["country", "region", "city", "latitude", "longitude"]);
    expect(base.geo).toEqual({
      country: "RO",
      region: undefined,
      city: "Bucharest",
      latitude: undefined,
      longitude: undefined,
    });
  });

  it("survives malformed contexts", () => {
    const weird = [
      { context: null },
      { context: "x" },
      { context: { address: "x", geo: 5, clientHints: "y", userAgent: 7 } },
      { context: { address: null } },
    ];
    for (const request of weird) {
      const base = createBaseContext(request as never, FROZEN_CLOCK);
      expect(base.page.url).toBe("");
      expect(base.user).toEqual({
        browserType: "unknown",
        platform: "unknown",
        locale: "en",
        browserVersion: -1,
      });
    }
  });

  it("does not modify the request", () => {
    const request: DeliveryRequest = {
      context: {
        address: { url: "https://www.adobe.com/?a=B" },
        userAgent: USER_AGENTS[0],
        geo: { city: "X" },
      },
    };
    const snapshot = structuredClone(request);
    createRuleContext(createBaseContext(request, FROZEN_CLOCK), {
      parameters: { "a.b": "C" },
      address: { url: "https://x.com" },
    });
    expect(request).toEqual(snapshot);
  });
});

describe("createRuleContext", () => {
  const base = createBaseContext(
    {
      context: {
        address: { url: "https://www.adobe.com/page", referringUrl: "https://www.google.com/" },
        userAgent: USER_AGENTS[1],
      },
    },
    FROZEN_CLOCK,
  );

  it("keeps the base page and referrer when the detail has no address", () => {
    const context = createRuleContext(base, { parameters: { a: "B" } });
    expect(context.page).toBe(base.page);
    expect(context.referring).toBe(base.referring);
    expect(context.mbox).toEqual({ a: "B", a_lc: "b" });
    expect(context.allocation).toBe(0);
  });

  it("uses address.url for both page and referring when the detail has an address (reference bug)", () => {
    const context = createRuleContext(base, {
      address: { url: "https://Shop.Example.com/x", referringUrl: "https://ignored.com/" },
    });
    expect(context.page.domain).toBe("example.com");
    expect(context.referring).toBe(context.page);
  });

  it("treats any defined address, even without a url, as an override with an empty URL", () => {
    for (const address of [null, {}, "x", 0]) {
      const context = createRuleContext(base, { address } as never);
      expect(context.page.url).toBe("");
      expect(context.referring.url).toBe("");
    }
  });

  it("gives an empty mbox without a detail or parameters", () => {
    expect(createRuleContext(base, undefined).mbox).toEqual({});
    expect(createRuleContext(base, {}).mbox).toEqual({});
  });

  it("returns a fresh object on every call, in the reference key order", () => {
    const first = createRuleContext(base, {});
    const second = createRuleContext(base, {});
    expect(first).not.toBe(second);
    first.allocation = 42;
    expect(second.allocation).toBe(0);
    expect(Object.keys(first)).toEqual([
      "current_timestamp",
      "current_time",
      "current_day",
      "user",
      "page",
      "referring",
      "geo",
      "mbox",
      "allocation",
    ]);
  });
});

/**
 * Differential test against the reference (@adobe/target-nodejs-sdk 2.4.3 on-device): a one-rule
 * artifact whose condition always holds, and a trace, make `getOffers` report the full rule context
 * the reference evaluated. Random URLs, user agents, client hints, geo and parameters must give the
 * same context, key order included.
 */
describe("differential against the reference rule context", () => {
  const require = createRequire(import.meta.url);
  const Reference = require("@adobe/target-nodejs-sdk");
  const artifact = {
    version: "1.0.0",
    meta: { clientCode: "ctxclient", environment: "production" },
    globalMbox: "target-global-mbox",
    geoTargetingEnabled: false,
    responseTokens: [],
    remoteMboxes: [],
    remoteViews: [],
    localMboxes: ["ctx"],
    localViews: [],
    rules: {
      mboxes: {
        ctx: [
          {
            ruleKey: "1",
            activityId: 1,
            meta: { "activity.id": 1, "activity.type": "ab", "experience.id": 0, "audience.ids": [] },
            condition: { "==": [1, 1] },
            consequence: { name: "ctx", options: [{ type: "json", content: {} }], metrics: [] },
          },
        ],
      },
      views: {},
    },
  };
  let reference: any;

  beforeAll(async () => {
    reference = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("reference not ready")), 5000);
      const client = Reference.create({
        client: "ctxclient",
        organizationId: "org",
        decisioningMethod: "on-device",
        artifactPayload: artifact,
        pollingInterval: 0,
        telemetryEnabled: false,
        fetchApi: async () => new Response("{}"),
        logger: { debug() {}, error() {} },
        events: { clientReady: () => (clearTimeout(timer), resolve(client)) },
      });
    });
  });
  afterAll(() => {
    vi.useRealTimers();
    reference?.decisioningEngine?.stopPolling?.();
  });

  /** The reference's rule context for a request context and mbox detail, or undefined if it throws. */
  async function referenceContext(
    context: Record<string, unknown> | undefined,
    detail: Record<string, unknown>,
    now: number,
  ) {
    const request: Record<string, unknown> = {
      id: { tntId: "visitor" },
      trace: {},
      prefetch: { mboxes: [{ name: "ctx", index: 1, ...structuredClone(detail) }] },
    };
    if (context !== undefined) request.context = structuredClone(context);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(now);
    try {
      const result = await reference.getOffers({ request });
      const ruleContext = json(result.response.prefetch.mboxes[0].trace.evaluatedCampaignTargets[0].context);
      delete ruleContext.allocation;
      return ruleContext;
    } catch {
      return undefined;
    } finally {
      vi.useRealTimers();
    }
  }

  // prettier-ignore
  const URL_TOKENS = [
    ":", "/", "//", "?", "#", "@", ".", "..", "[", "]", "-", "_", "\n", " ", "a", "B", "0", "%41", "www",
    "www2", "co.uk", "example", "com", "http:", "https://", "x.html", "8080", "user:pw@", "ide.kyoto.jp",
    "us-east-1.elasticbeanstalk.com", "ü", "xn--bcher-kva", "local", "127.0.0.1", "::1", "COM", "github.io",
    "=", "&"
  ];
  // prettier-ignore
  const UA_TOKENS = [
    "Mozilla/5.0 ", "(", ")", ";", " ", "Windows ", "Windows NT 10.0", "Macintosh;", " Linux ",
    "Android 11;", "Android ", "iPhone", "iPad", "CrOS", "FreeBSD", "Edg/91.0", "Edge/18.1", "EdgiOS/1",
    "EdgA/2", "Chrome/99.0.1", "chrome/v12", "Firefox/73.0", "firefox/7-1", "Safari/537.36",
    "Version/14.1.1", " Mobile/15E148 Safari/604.1", "Mobile Safari", "MSIE 10.0", "(IE 9.0", "Trident/7.0",
    "rv:11.0", " like Gecko", "x", ".", "/", "\n", "OPR/80.0", "CriOS/90.0", "_3"
  ];
  // prettier-ignore
  const BRANDS = [
    '"Chromium";v="99"', '"Google Chrome";v="99.0.4844.83"', '"Microsoft Edge";v="100"', '"Safari";v="15.1"',
    '"Firefox";v="97"', '" Not A;Brand";v="99"', ", ", '"Chrome";v="x"'
  ];
  // prettier-ignore
  const PARAM_KEYS = [
    "a", "b", "a.b", "a.c", "b.c.d", "A.B", "x..y", ".lead", "trail.", "a_lc", "b_lc", "a.b_lc", "q", "c.a",
    "Mixed.Case"
  ];
  // prettier-ignore
  const PARAM_VALUES: unknown[] = ["X", "Mixed Case", 7, true, null, 0, "", { n: "In", m: { o: "Deep" } }, ["Arr"]];
  const PLATFORMS = ["Windows", "macOS", "Linux", "Android", "Chrome OS", "", "Mac OS", "Macintosh"];

  const join = (r: Random, tokens: readonly string[], max: number) =>
    Array.from({ length: 1 + r.int(max) }, () => r.pick(tokens)).join("");

  function randomContext(r: Random): Record<string, unknown> {
    const context: Record<string, unknown> = { channel: "web" };
    if (r.chance(0.9)) {
      const url = r.chance(0.5) ? r.pick(URLS) : join(r, URL_TOKENS, 10);
      context.address = r.chance(0.8) ? { url, referringUrl: join(r, URL_TOKENS, 8) } : { url };
    }
    if (r.chance(0.9)) context.userAgent = r.chance(0.4) ? r.pick(USER_AGENTS) : join(r, UA_TOKENS, 9);
    if (r.chance(0.3)) {
      const hints: Record<string, unknown> = {};
      if (r.chance(0.5)) hints.browserUAWithFullVersion = r.chance(0.2) ? "" : join(r, BRANDS, 3);
      if (r.chance(0.5)) hints.browserUAWithMajorVersion = join(r, BRANDS, 3);
      if (r.chance(0.5)) hints.platform = r.pick(PLATFORMS);
      context.clientHints = hints;
    }
    if (r.chance(0.3)) {
      const geo: Record<string, unknown> = {};
      for (const [key, value] of [
        ["countryCode", "US"],
        ["stateCode", "CA"],
        ["city", "SAN FRANCISCO"],
        ["latitude", 37.75],
        ["longitude", -122.4],
      ] as const) {
        if (r.chance(0.6)) geo[key] = value;
      }
      context.geo = geo;
    }
    return context;
  }

  function randomDetail(r: Random): Record<string, unknown> {
    const detail: Record<string, unknown> = {};
    if (r.chance(0.7)) {
      const parameters: Record<string, unknown> = {};
      const count = r.int(6);
      for (let i = 0; i < count; i++) parameters[r.pick(PARAM_KEYS)] = structuredClone(r.pick(PARAM_VALUES));
      detail.parameters = parameters;
    }
    if (r.chance(0.2))
      detail.address = r.chance(0.9) ? { url: r.chance(0.5) ? r.pick(URLS) : join(r, URL_TOKENS, 10) } : {};
    return detail;
  }

  it("matches on 600 random requests", async () => {
    const r = createRandom(0xc0ffee);
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const context = r.chance(0.05) ? undefined : randomContext(r);
      const detail = randomDetail(r);
      const now = Date.UTC(2020, 0, 1) + r.int(4 * 365) * 86_400_000 + r.int(86_400_000);
      const expected = await referenceContext(context, detail, now);
      // The reference throws on conflicting dotted parameters (e.g. "a" and "a.b"); those are covered in params.test.ts.
      if (expected === undefined) continue;
      const request = (context === undefined ? {} : { context }) as DeliveryRequest;
      const actual = ruleContextOf(request, detail, now);
      const label = JSON.stringify({ context, detail });
      expect(actual, label).toEqual(expected);
      expect(JSON.stringify(actual), label).toBe(JSON.stringify(expected));
      compared++;
    }
    expect(compared).toBeGreaterThan(500);
  });

  it("matches the vectors' base context for a request without context", async () => {
    const expected = await referenceContext(undefined, {}, FROZEN_CLOCK);
    const base: BaseContext = createBaseContext({}, FROZEN_CLOCK);
    expect(json(createRuleContext(base, {}))).toMatchObject(expected);
  });
});
