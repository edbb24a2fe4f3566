/**
 * Request builders of the decision scenarios. Every call gets a distinct visitor (tntId) from a
 * pre-generated pool, and a fresh request object (neither client may keep or mutate ours).
 */
import { visitorIdPool } from "../lib/visitor-ids";

/** A pre-generated id, distinct for 65,536 consecutive calls. */
export const visitorId = visitorIdPool(1 << 16);

export const CHROME_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const USER_AGENTS = [
  CHROME_UA,
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
];

/** A real-world page (registrable domain behind a public suffix). */
export const REAL_WORLD_URL = "https://www.adobe.com/products/target.html?foo=bar";
/** The URL the artifact's view/page-load rules target (the SDK's own test host). */
export const TEST_URL = "http://local-target-test:8080/";

/** Real-world hosts, several behind multi-label or private public suffixes. */
export const REAL_WORLD_URLS = [
  "https://www.adobe.com/products/target.html?foo=bar",
  "http://pied.piper.decentralized.test.hooli.com/?implementation=psl",
  "https://wayne-enterprises.us-east-1.elasticbeanstalk.com/bat/cave?foo=bar",
  "https://shop.example.co.uk/cart?item=42&foo=bar",
  "https://www.bbc.co.uk/news/technology?foo=bar",
  "https://town.ide.kyoto.jp/visit?foo=bar",
  "https://store.myshopify.com/products/hat?foo=bar",
  "https://en.m.wikipedia.org/wiki/Bar?foo=bar",
];
/** Same paths and queries, on the test host. */
export const TEST_URLS = REAL_WORLD_URLS.map((u) => {
  const parsed = new URL(u);
  return `http://local-target-test:8080${parsed.pathname}${parsed.search}`;
});

/** The web property most of the production artifact's tokenised rules belong to. */
export const PROPERTY_TOKEN = "be92ac4c-e72f-9f82-2a80-2c211ea86578";

export type RequestBuilder = (i: number) => Record<string, unknown>;

function webContext(url: string, userAgent = CHROME_UA): Record<string, unknown> {
  return { channel: "web", address: { url }, userAgent };
}

/** Scenario 1: execute one A/B mbox. */
export const executeOneMbox: RequestBuilder = (i) => ({
  request: {
    id: { tntId: visitorId(i) },
    property: { token: PROPERTY_TOKEN },
    context: webContext(REAL_WORLD_URL),
    execute: { mboxes: [{ name: "perf-mbox", index: 1 }] },
  },
});

const FIVE_MBOXES = ["perf-mbox", "mbox-params", "mbox-feature-flags", "mbox-magician", "mbox-macros"];

/** Scenario 2: prefetch 5 mboxes. */
export const prefetchFiveMboxes: RequestBuilder = (i) => ({
  request: {
    id: { tntId: visitorId(i) },
    property: { token: PROPERTY_TOKEN },
    context: webContext(REAL_WORLD_URL),
    prefetch: { mboxes: FIVE_MBOXES.map((name, k) => ({ name, index: k + 1, parameters: { foo: "bar" } })) },
  },
});

const VIEW_PARAMETERS = { jason: "correct", greg: "correct" };

/** Scenario 3: prefetch all views (a view request without a name). */
export const prefetchAllViews: RequestBuilder = (i) => ({
  request: {
    id: { tntId: visitorId(i) },
    property: { token: PROPERTY_TOKEN },
    context: webContext(TEST_URL),
    prefetch: { views: [{ parameters: { ...VIEW_PARAMETERS } }] },
  },
});

/** Scenario 4: execute pageLoad (the global mbox and its 87 rules). */
export const executePageLoad: RequestBuilder = (i) => ({
  request: {
    id: { tntId: visitorId(i) },
    property: { token: PROPERTY_TOKEN },
    context: webContext(TEST_URL),
    execute: { pageLoad: { parameters: { foo: "bar", ...VIEW_PARAMETERS } } },
  },
});

const AUDIENCE_PARAMETERS = {
  foo: "bar",
  "first.programming.language": "Racket",
  "favorite.color": "Red",
  "favorite.movie": "The Big Lebowski",
};
const GEO = { city: "SAN FRANCISCO", countryCode: "US", stateCode: "CA", latitude: 37.75, longitude: -122.4 };

function audienceRequest(urls: readonly string[]): RequestBuilder {
  return (i) => ({
    request: {
      id: { tntId: visitorId(i) },
      property: { token: PROPERTY_TOKEN },
      context: {
        ...webContext(urls[i % urls.length]!, USER_AGENTS[i % USER_AGENTS.length]),
        geo: { ...GEO },
      },
      execute: {
        mboxes: ["mbox-urlcontains", "mbox-browsers", "mbox-params", "mbox-geography", "mbox-dateranges"].map(
          (name, k) => ({
            name,
            index: k + 1,
            parameters: { ...AUDIENCE_PARAMETERS },
          }),
        ),
      },
    },
  });
}

/** Scenario 5: URL + user agent + geo + mbox parameters meeting audience rules, real-world hosts. */
export const audienceRealWorld = audienceRequest(REAL_WORLD_URLS);
/** Scenario 5 on the test host (isolates what a real-world domain costs). */
export const audienceTestUrl = audienceRequest(TEST_URLS);
