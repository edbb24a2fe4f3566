/** The evaluation context of a request: base context (URL, UA, geo, time) and per-detail rule context. */
import { createBaseContext, createRuleContext } from "../../src/engine/context";
import { parseUserAgent } from "../../src/engine/user-agent";
import { buildMboxContext } from "../../src/engine/params";
import { CHROME_UA, REAL_WORLD_URL } from "../scenarios/requests";
import type { MicroCase } from "./micro";

const NOW = Date.UTC(2024, 6, 4, 12, 0);
const request = (url: string, userAgent: string) =>
  ({
    context: {
      channel: "web",
      address: { url },
      userAgent,
      geo: { city: "SAN FRANCISCO", countryCode: "US", stateCode: "CA", latitude: 37.75, longitude: -122.4 },
    },
  }) as any;
const PARAMS = {
  foo: "bar",
  "first.programming.language": "Racket",
  "favorite.color": "Red",
  "favorite.movie": "The Big Lebowski",
};

export const cases: MicroCase[] = [
  {
    name: "context: createBaseContext (real-world URL, Chrome UA, geo)",
    setup: () => {
      const r = request(REAL_WORLD_URL, CHROME_UA);
      return (i) => createBaseContext(r, NOW + i);
    },
    batch: 1000,
  },
  {
    name: "context: createRuleContext (4 mbox parameters, 3 dotted)",
    setup: () => {
      const base = createBaseContext(request(REAL_WORLD_URL, CHROME_UA), NOW);
      const detail = { name: "mbox-params", parameters: PARAMS };
      return () => createRuleContext(base, detail as any);
    },
    batch: 1000,
  },
  {
    name: "context: buildMboxContext (4 parameters)",
    setup: () => () => buildMboxContext(PARAMS),
    batch: 1000,
  },
  {
    name: "context: parseUserAgent (Chrome UA)",
    setup: () => () => parseUserAgent(CHROME_UA),
    batch: 1000,
  },
  {
    name: "context: parseUserAgent (8 distinct UAs, rotating)",
    setup: () => {
      const uas = Array.from({ length: 8 }, (_, k) => CHROME_UA.replace("120.0.0.0", `${100 + k}.0.0.0`));
      return (i) => parseUserAgent(uas[i & 7]);
    },
    batch: 1000,
  },
];
