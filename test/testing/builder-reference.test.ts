import jsonLogic from "json-logic-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { computeAllocation } from "../../src/engine/allocation";
import {
  and,
  anArtifact,
  browserIs,
  dayOfWeek,
  domainIs,
  geoCityIs,
  geoCountryIs,
  geoRegionIs,
  not,
  or,
  paramContains,
  paramEquals,
  pathStartsWith,
  platformIs,
  queryContains,
  timeFrame,
  timeOfDay,
  urlContains,
  vec,
} from "../../src/testing";
import { createRandom } from "../support/random";
import { createReferenceClient } from "../support/reference";
import { randomRequestsFor, USER_AGENTS_BY_BROWSER } from "./requests";

/**
 * Differential tests: artifacts made with the builder are decided by the published reference SDK
 * (@adobe/target-nodejs-sdk 2.4.3), which must pick the experiences the builder's input describes.
 */

const CLIENT = "buildertest";
const VISITORS = 200;
const contentOf = (entry: any) => entry?.options?.[0]?.content;

afterEach(() => vi.useRealTimers());

describe("builder artifacts in the reference SDK", () => {
  it("splits A/B traffic by weight, exactly where the allocation ranges say", async () => {
    const artifact = anArtifact({ client: CLIENT, organizationId: "B@AdobeOrg" })
      .abActivity({ id: 2001, name: "two", mbox: "ab2", experiences: [{ name: "A", weight: 50, json: { exp: "A" } }, { name: "B", weight: 50, json: { exp: "B" } }] })
      .abActivity({ id: 2002, name: "three", mbox: "ab3", experiences: [
        { name: "A", weight: 20, json: { exp: "A" } },
        { name: "B", weight: 30, html: "B" },
        { name: "C", weight: 50, json: { exp: "C" } },
      ] })
      .build();
    const reference = await createReferenceClient(artifact, CLIENT);
    const r = createRandom(2001);
    const counts: Record<string, Record<string, number>> = { ab2: {}, ab3: {} };
    try {
      for (let i = 0; i < VISITORS; i++) {
        const tntId = `${r.hex(32)}.28_0`;
        const { response } = await reference.getOffers({ request: { id: { tntId }, execute: { mboxes: [{ name: "ab2", index: 1 }, { name: "ab3", index: 2 }] } } });
        for (const [k, mbox] of ["ab2", "ab3"].entries()) {
          const got = contentOf(response.execute.mboxes[k]);
          const label = typeof got === "string" ? got : got.exp;
          counts[mbox]![label] = (counts[mbox]![label] ?? 0) + 1;
          // Independently: allocation of this visitor, then the first rule json-logic-js accepts.
          const rules = artifact.rules.mboxes![mbox]!;
          const allocation = computeAllocation(CLIENT, rules[0]!.meta["activity.id"], tntId.split(".")[0]!);
          const expected = rules.find((rule) => jsonLogic.apply(rule.condition as any, { allocation }))!;
          expect(label, `${mbox} visitor ${tntId} allocation ${allocation}`).toBe(expected.meta["experience.name"]);
        }
      }
    } finally {
      reference.stop();
    }
    const share = (mbox: string, exp: string) => (counts[mbox]![exp] ?? 0) / VISITORS;
    expect(Math.abs(share("ab2", "A") - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(share("ab3", "A") - 0.2)).toBeLessThan(0.08);
    expect(Math.abs(share("ab3", "B") - 0.3)).toBeLessThan(0.1);
    expect(Math.abs(share("ab3", "C") - 0.5)).toBeLessThan(0.1);
  });

  it("selects XT experiences by browser, platform, url, params, geo, time and combinations", async () => {
    const xt = (id: number, mbox: string, experiences: { name: string; audience?: any }[]) => ({
      id,
      name: mbox,
      mbox,
      experiences: experiences.map((e) => ({ ...e, json: { exp: e.name } })),
    });
    const artifact = anArtifact({ client: CLIENT, organizationId: "B@AdobeOrg" })
      .xtActivity(xt(3001, "browser", [{ name: "FF", audience: browserIs("firefox") }, { name: "Safari", audience: or(browserIs("safari"), browserIs("mobile safari")) }, { name: "Chrome", audience: browserIs("chrome") }, { name: "Other" }]))
      .xtActivity(xt(3002, "platform", [{ name: "Android", audience: platformIs("android") }, { name: "Windows", audience: platformIs("windows") }, { name: "Other" }]))
      .xtActivity(xt(3003, "url", [{ name: "Sale", audience: urlContains("/SALE") }, { name: "Products", audience: pathStartsWith("/products") }, { name: "UK", audience: domainIs("example.co.uk") }, { name: "Promo", audience: queryContains("promo=1") }, { name: "Other" }]))
      .xtActivity(xt(3004, "params", [{ name: "Gold", audience: paramEquals("tier", "gold") }, { name: "Shoes", audience: paramContains("interest", "shoe") }, { name: "Red", audience: paramEquals("color", "red", { ignoreCase: true }) }, { name: "Other" }]))
      .xtActivity(xt(3005, "geo", [{ name: "SF", audience: and(geoCountryIs("US"), geoCityIs("San Francisco")) }, { name: "RO", audience: geoCountryIs("RO", "Romania") }, { name: "BC", audience: geoRegionIs("BC") }, { name: "Other" }]))
      .xtActivity(xt(3006, "time", [{ name: "Holidays", audience: timeFrame({ start: "2024-12-20T00:00:00Z", end: "2024-12-31T23:59:59Z" }) }, { name: "Weekend", audience: dayOfWeek(["saturday", "sunday"]) }, { name: "Night", audience: timeOfDay("2200", "0600") }, { name: "Other" }]))
      .xtActivity(xt(3007, "combo", [{ name: "VIP", audience: or(urlContains("vip"), paramEquals("vip", "1")) }, { name: "NotChrome", audience: not(browserIs("chrome")) }]))
      .build();
    expect(artifact.geoTargetingEnabled).toBe(true);

    // Labelled inputs: each value with the experience it must select (first match in order).
    const browsers: [string, string, string, string][] = [
      // [browser label, user agent, browser experience, platform experience]
      ["firefox", USER_AGENTS_BY_BROWSER.firefox![0]!, "FF", "Other"],
      ["firefox", USER_AGENTS_BY_BROWSER.firefox![1]!, "FF", "Other"],
      ["safari", USER_AGENTS_BY_BROWSER.safari![0]!, "Safari", "Other"],
      ["mobile safari", USER_AGENTS_BY_BROWSER["mobile safari"]![0]!, "Safari", "Other"],
      ["chrome", USER_AGENTS_BY_BROWSER.chrome![0]!, "Chrome", "Windows"],
      ["chrome", USER_AGENTS_BY_BROWSER.chrome![1]!, "Chrome", "Android"],
      ["edge", USER_AGENTS_BY_BROWSER.edge![0]!, "Other", "Windows"],
      ["ie", USER_AGENTS_BY_BROWSER.ie![0]!, "Other", "Windows"],
      ["unknown", "curl/8.4.0", "Other", "Other"],
    ];
    const urls: [string, string][] = [
      ["https://www.shop.com/Sale/shoes", "Sale"],
      ["https://www.shop.com/products/sale-items", "Sale"],
      ["https://www.shop.com/Products/42?promo=1", "Products"],
      ["https://shop.example.co.uk/cart", "UK"],
      ["https://www.shop.com/cart?PROMO=1", "Promo"],
      ["https://www.shop.com/cart", "Other"],
    ];
    const params: [Record<string, string>, string][] = [
      [{ tier: "gold", color: "red" }, "Gold"],
      [{ tier: "Gold", interest: "Running SHOES" }, "Shoes"],
      [{ color: "RED" }, "Red"],
      [{ tier: "silver", color: "blue" }, "Other"],
      [{}, "Other"],
    ];
    const geos: [Record<string, string>, string][] = [
      [{ countryCode: "US", city: "SAN FRANCISCO", stateCode: "CA" }, "SF"],
      [{ countryCode: "US", city: "SANFRANCISCO" }, "SF"],
      [{ countryCode: "RO", city: "BUCHAREST", stateCode: "B" }, "RO"],
      [{ countryCode: "CA", city: "VANCOUVER", stateCode: "BC" }, "BC"],
      [{ countryCode: "US", city: "NEW YORK", stateCode: "NY" }, "Other"],
    ];
    const times: [string, string][] = [
      ["2024-12-24T12:00:00Z", "Holidays"], // a Tuesday inside the time frame
      ["2024-06-08T12:00:00Z", "Weekend"],
      ["2024-06-11T23:30:00Z", "Night"],
      ["2024-06-11T05:59:00Z", "Night"],
      ["2024-06-11T12:00:00Z", "Other"],
    ];

    const reference = await createReferenceClient(artifact, CLIENT);
    const r = createRandom(3001);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (let i = 0; i < VISITORS; i++) {
        const [, userAgent, browserExp, platformExp] = r.pick(browsers);
        const [url, urlExp] = r.pick(urls);
        const [parameters, paramExp] = r.pick(params);
        const [geo, geoExp] = r.pick(geos);
        const [time, timeExp] = r.pick(times);
        const vip = r.chance(0.2);
        vi.setSystemTime(new Date(time));
        const mboxes = ["browser", "platform", "url", "params", "geo", "time", "combo"].map((name, index) => ({
          name,
          index,
          parameters: name === "params" ? parameters : name === "combo" && vip ? { vip: "1" } : {},
        }));
        const request = { id: { tntId: r.hex(32) }, context: { channel: "web", userAgent, address: { url }, geo }, execute: { mboxes } };
        const { response } = await reference.getOffers({ request });
        const got = response.execute.mboxes.map((m: any) => contentOf(m)?.exp ?? "<none>");
        const comboExp = vip ? "VIP" : browserExp === "Chrome" ? "<none>" : "NotChrome";
        expect(got, JSON.stringify(request)).toEqual([browserExp, platformExp, urlExp, paramExp, geoExp, timeExp, comboExp]);
      }
    } finally {
      vi.useRealTimers();
      reference.stop();
    }
  });

  it("serves views, pageLoad (html + VEC) and property-scoped activities as built", async () => {
    const artifact = anArtifact({ client: CLIENT, organizationId: "B@AdobeOrg" })
      .viewActivity({ id: 4001, name: "Home AB", view: "home", metrics: [{ type: "click", selector: "#cta" }], experiences: [
        { name: "A", weight: 50, actions: [vec.setHtml("h1", "Home A"), vec.setStyle("h1", { color: "red" })] },
        { name: "B", weight: 50, actions: [vec.setHtml("h1", "Home B")] },
      ] })
      .viewActivity({ id: 4002, name: "Product XT", view: "product", experiences: [
        { name: "Shoes", audience: paramEquals("category", "shoes"), actions: [vec.insertAfter(".title", "<p>Shoes</p>")] },
        { name: "Default", actions: [vec.insertAfter(".title", "<p>Default</p>")] },
      ] })
      .pageLoadActivity({ id: 4003, name: "Global html", experiences: [{ name: "X", weight: 50, html: "<p>X</p>" }, { name: "Y", weight: 50, html: "<p>Y</p>" }] })
      .pageLoadActivity({ id: 4004, name: "Global VEC", experiences: [
        { name: "Greg", audience: paramEquals("greg", "correct"), actions: [vec.setHtml("h1", "Hello greg")] },
        { name: "All", actions: [vec.setHtml("h1", "Hello all"), vec.remove(".ad")] },
      ] })
      .abActivity({ id: 4005, name: "Property X", mbox: "prop", propertyTokens: ["prop-x"], experiences: [{ name: "X", json: { exp: "X" } }] })
      .xtActivity({ id: 4006, name: "Any property", mbox: "prop", experiences: [{ name: "Any", json: { exp: "Any" } }] })
      .build();
    const reference = await createReferenceClient(artifact, CLIENT);
    const r = createRandom(4001);
    try {
      for (let i = 0; i < 60; i++) {
        const tntId = r.hex(32);
        const greg = r.chance(0.5);
        const category = r.pick(["shoes", "hats"]);
        const token = r.pick([undefined, "prop-x", "prop-y"]);
        const request: any = {
          id: { tntId },
          context: { channel: "web", address: { url: "https://www.example.com/" }, geo: { city: "SAN FRANCISCO", countryCode: "US" } },
          execute: { pageLoad: { parameters: greg ? { greg: "correct" } : {} }, mboxes: [{ name: "prop", index: 1 }] },
          prefetch: { views: [{ name: "home" }, { name: "product", parameters: { category } }] },
        };
        if (token) request.property = { token };
        const { response } = await reference.getOffers({ request });
        const allocated = (id: number, names: string[]) => names[computeAllocation(CLIENT, id, tntId) <= 50 ? 0 : 1];

        const [home, product] = response.prefetch.views;
        const homeExp = allocated(4001, ["A", "B"]);
        expect(home.name).toBe("home");
        expect(home.options.map((o: any) => o.content?.[0]?.content)).toEqual(homeExp === "A" ? ["Home A", { color: "red" }] : ["Home B", undefined]);
        // One copy of the activity's click metric per matched rule (views append metrics, no de-duplication).
        expect(home.metrics).toEqual(home.options.map(() => expect.objectContaining({ type: "click", selector: "#cta" })));
        expect(product.options[0].content[0].content).toBe(category === "shoes" ? "<p>Shoes</p>" : "<p>Default</p>");
        expect(product.options[0].responseTokens).toMatchObject({ "activity.id": 4002, "experience.name": category === "shoes" ? "Shoes" : "Default", "geo.city": "SAN FRANCISCO" });

        const pageLoad = response.execute.pageLoad.options.map((o: any) => (o.type === "html" ? o.content : o.content[0].content ?? o.content[0].type));
        const html = `<p>${allocated(4003, ["X", "Y"])}</p>`;
        expect(pageLoad).toEqual(greg ? [html, "Hello greg"] : [html, "Hello all", "remove"]);
        expect(contentOf(response.execute.mboxes[0])).toEqual({ exp: token === "prop-x" ? "X" : "Any" });
      }
    } finally {
      reference.stop();
    }
  });

  it("accepts every randomRequestsFor() input for a built artifact", async () => {
    const artifact = anArtifact({ client: CLIENT, organizationId: "B@AdobeOrg" })
      .abActivity({ id: 5001, name: "ab", mbox: "hero", propertyTokens: ["p1"], experiences: [{ name: "A", json: 1 }, { name: "B", json: 2 }] })
      .xtActivity({ id: 5002, name: "xt", mbox: "promo", experiences: [{ name: "FF", audience: browserIs("firefox"), json: 1 }, { name: "Red", audience: paramEquals("color", "red", { ignoreCase: true }), json: 2 }, { name: "All", json: 3 }] })
      .viewActivity({ id: 5003, name: "v", view: "home", experiences: [{ name: "A", actions: [vec.setHtml("h1", "x")] }] })
      .pageLoadActivity({ id: 5004, name: "pl", experiences: [{ name: "SF", audience: geoCityIs("San Francisco"), html: "<p>sf</p>" }] })
      .remoteMbox("server-only")
      .build();
    const inputs = randomRequestsFor(artifact, 42, 120);
    expect(randomRequestsFor(artifact, 42, 120)).toEqual(inputs);
    expect(randomRequestsFor(artifact, 43, 120)).not.toEqual(inputs);
    const requested = JSON.stringify(inputs);
    for (const needle of ['"name":"hero"', '"name":"promo"', '"name":"server-only"', '"name":"home"', '"pageLoad"', '"token":"p1"', '"color":"RED"', "SAN FRANCISCO", "Firefox/"]) {
      expect(requested).toContain(needle);
    }
    const reference = await createReferenceClient(artifact, CLIENT);
    const statuses = new Set<number>();
    const matched = new Set<string>();
    try {
      for (const input of inputs) {
        const { response } = await reference.getOffers(structuredClone(input));
        statuses.add(response.status);
        for (const mode of ["execute", "prefetch"]) {
          for (const m of response[mode]?.mboxes ?? []) if (m.options?.length) matched.add(`${m.name}:${JSON.stringify(m.options[0].content)}`);
        }
      }
    } finally {
      reference.stop();
    }
    expect([...statuses].sort()).toEqual([200, 206]);
    expect(matched).toEqual(new Set(["hero:1", "hero:2", "promo:1", "promo:2", "promo:3"]));
  });
});
