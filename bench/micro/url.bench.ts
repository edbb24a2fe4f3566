/**
 * URL / domain parsing. `parseUrlContext` caches whole URLs and hosts (bounded LRUs), so the
 * cached cases are what a site with a stable set of pages pays; the "distinct" cases defeat the
 * caches and show the cost of a miss (the public-suffix lookup is the expensive part).
 */
import { domainParts, parseUrlContext, splitUrl } from "../../src/engine/url";
import { REAL_WORLD_URLS, TEST_URL } from "../scenarios/requests";
import type { MicroCase } from "./micro";

let counter = 0;
const fresh = () => ++counter;

export const cases: MicroCase[] = [
  {
    name: "url: parseUrlContext, test URL (cached)",
    setup: () => () => parseUrlContext(TEST_URL),
    batch: 5000,
  },
  {
    name: "url: parseUrlContext, 8 real-world URLs (cached)",
    setup: () => (i) => parseUrlContext(REAL_WORLD_URLS[i & 7]),
    batch: 5000,
  },
  {
    name: "url: parseUrlContext, distinct URLs, known host (URL miss, host hit)",
    setup: () => () => parseUrlContext(`https://www.adobe.com/products/target.html?q=${fresh()}`),
    batch: 200,
  },
  {
    name: "url: parseUrlContext, distinct test-host URLs (URL miss, host hit)",
    setup: () => () => parseUrlContext(`http://local-target-test:8080/page?q=${fresh()}`),
    batch: 200,
  },
  {
    name: "url: domainParts, distinct .com hosts (PSL lookup)",
    setup: () => () => domainParts(`www.site${fresh()}.com`),
    batch: 50,
  },
  {
    name: "url: domainParts, distinct .co.uk hosts (PSL lookup)",
    setup: () => () => domainParts(`shop.site${fresh()}.co.uk`),
    batch: 50,
  },
  {
    name: "url: splitUrl (real-world URL)",
    setup: () => (i) => splitUrl(REAL_WORLD_URLS[i & 7]!),
    batch: 2000,
  },
];
