import { readFileSync } from "node:fs";
import jsonLogic from "json-logic-js";
import { describe, expect, it } from "vitest";
import { SAMPLE_ARTIFACT_PATH, sampleArtifactText } from "../../scripts/build-sample-artifact";
import { validateArtifact } from "../../src/artifact/parse";
import { compileArtifact } from "../../src/engine/compile";
import { DecisioningError } from "../../src/errors";
import {
  and,
  anArtifact,
  browserIs,
  custom,
  dayOfWeek,
  defineAudience,
  domainIs,
  geoCityIs,
  geoCountryIs,
  geoRegionIs,
  not,
  or,
  paramContains,
  paramEquals,
  pathEquals,
  pathStartsWith,
  platformIs,
  queryContains,
  timeFrame,
  timeOfDay,
  urlContains,
  urlEquals,
  vec,
  type Audience,
} from "../../src/testing";
import { loadArtifact } from "../support/shared";

const base = { client: "acme", organizationId: "ACME@AdobeOrg" };
const conditionsOf = (artifact: any, mbox: string) => artifact.rules.mboxes[mbox].map((r: any) => r.condition);
const evaluate = (a: Audience, data: unknown) => Boolean(jsonLogic.apply(a.condition as any, data as any));

function expectInvalid(fn: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(DecisioningError.is(caught), `expected a DecisioningError, got ${String(caught)}`).toBe(true);
  expect((caught as DecisioningError).code).toBe("ODE_ERR_INVALID_OPTION");
  expect((caught as DecisioningError).message).toMatch(message);
}

describe("anArtifact().build()", () => {
  const hero = {
    id: 1001,
    name: "Hero test",
    mbox: "hero",
    experiences: [
      { name: "A", weight: 50, content: { headline: "A" } },
      { name: "B", weight: 50, html: "<b>B</b>" },
    ],
  };

  it("produces the top-level shape of a Target artifact", () => {
    const real = loadArtifact("TEST_ARTIFACT_AB_SIMPLE");
    const artifact = anArtifact(base).abActivity(hero).remoteMbox("server-only").remoteView("remote-view").build();
    expect(Object.keys(artifact)).toEqual(["version", "meta", "globalMbox", "geoTargetingEnabled", "responseTokens", "remoteMboxes", "remoteViews", "localMboxes", "localViews", "rules"]);
    expect(artifact).toMatchObject({
      version: "1.0.0",
      meta: { organizationId: "ACME@AdobeOrg", clientCode: "acme", environment: "production" },
      globalMbox: "target-global-mbox",
      geoTargetingEnabled: false,
      responseTokens: real.responseTokens,
      remoteMboxes: ["server-only"],
      remoteViews: ["remote-view"],
      localMboxes: ["hero"],
      localViews: [],
      rules: { views: {} },
    });
    expect(artifact.meta).not.toHaveProperty("generatedAt");
    expect(anArtifact({ ...base, generatedAt: 0, environment: "staging" }).build().meta).toMatchObject({ generatedAt: "1970-01-01T00:00:00.000Z", environment: "staging" });
  });

  it("encodes an A/B activity exactly like Target (ranges, meta keys, consequence)", () => {
    const real = loadArtifact("TEST_ARTIFACT_AB_SIMPLE").rules.mboxes["mbox-magician"];
    const rules = (anArtifact(base).abActivity(hero).build().rules.mboxes as any).hero;
    expect(rules.map((r: any) => r.condition)).toEqual(real.map((r: any) => r.condition));
    expect(rules.map((r: any) => Object.keys(r))).toEqual(real.map((r: any) => Object.keys(r)));
    expect(rules.map((r: any) => Object.keys(r.meta))).toEqual(real.map((r: any) => Object.keys(r.meta)));
    expect(rules[0]).toMatchObject({
      ruleKey: "1001",
      activityId: 1001,
      meta: { "activity.id": 1001, "activity.name": "Hero test", "activity.type": "ab", "experience.id": 0, "experience.name": "A", "location.name": "hero", "location.type": "mbox", "location.id": 0, "audience.ids": [], "option.id": 2, "option.name": "Offer2" },
      consequence: { name: "hero", options: [{ type: "json", content: { headline: "A" } }], metrics: [] },
    });
    expect(rules[1].consequence.options[0]).toMatchObject({ type: "html", content: "<b>B</b>" });
    expect(rules[1].meta["option.id"]).toBe(3);
  });

  it("splits 3 and 4 experiences with Target's cumulative ranges (even split when weights are omitted)", () => {
    const real = loadArtifact("TEST_ARTIFACT_GLOBAL_MBOX").rules.mboxes["target-global-mbox"];
    const realRanges = (id: number) => real.filter((r: any) => r.meta["activity.id"] === id).map((r: any) => (r.condition.and[0].and ? r.condition.and[0] : r.condition));
    const exps = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `E${i}`, json: { i } }));
    const artifact = anArtifact(base)
      .abActivity({ id: 1, name: "three", mbox: "m3", experiences: exps(3) })
      .abActivity({ id: 2, name: "four", mbox: "m4", experiences: exps(4).map((e) => ({ ...e, weight: 25 })) })
      .abActivity({ id: 3, name: "uneven", mbox: "m5", experiences: [{ name: "x", weight: 12.5, json: 1 }, { name: "y", weight: 87.5, json: 2 }] })
      .build();
    expect(conditionsOf(artifact, "m3")).toEqual(realRanges(125883));
    expect(conditionsOf(artifact, "m4")).toEqual(realRanges(125884));
    expect(conditionsOf(artifact, "m5")[0]).toEqual({ and: [{ "<=": [0, { var: "allocation" }] }, { ">=": [12.5, { var: "allocation" }] }] });
  });

  it("encodes XT as one rule per experience in order, audiences in meta, catch-all = true", () => {
    const real = loadArtifact("TEST_ARTIFACT_PRIORITIES").rules.mboxes["mbox-prioritized"][0];
    const artifact = anArtifact(base)
      .xtActivity({ id: 1002, name: "Firefox users", mbox: "promo", experiences: [
        { name: "FF", audience: defineAudience(1750975, browserIs("firefox")), json: { ff: true } },
        { name: "Everyone else", json: { ff: false } },
      ] })
      .build();
    const rules = (artifact.rules.mboxes as any).promo;
    expect(rules[0].condition).toEqual(real.condition);
    expect(rules[0].meta).toMatchObject({ "activity.type": "landing", "audience.ids": [1750975], "experience.id": 0 });
    expect(rules[1]).toMatchObject({ ruleKey: "1002", condition: true, meta: { "audience.ids": [], "experience.id": 1 } });
  });

  it("ANDs the allocation range with audiences as Target does", () => {
    const real = loadArtifact("TEST_ARTIFACT_PARAMS").rules.mboxes["mbox-params"];
    const artifact = anArtifact(base).abActivity({ id: 9, name: "p", mbox: "p", audience: paramEquals("foo", "bar"), experiences: [{ name: "A", weight: 50, json: 1 }, { name: "B", weight: 50, json: 2 }] }).build();
    expect(conditionsOf(artifact, "p")).toEqual([real[0].condition, real[1].condition]);
  });

  it("encodes VEC view and pageLoad activities with per-location ruleKeys and blank placeholders", () => {
    const artifact = anArtifact(base)
      .viewActivity({ id: 50, name: "Home", view: "home", metrics: [{ type: "click", selector: "#buy" }], experiences: [
        { name: "A", weight: 50, actions: [vec.setHtml("h1", "A"), vec.setStyle("p", { color: "red" })] },
        { name: "B", weight: 50, actions: [vec.insertAfter("h1", "<p>B</p>")] },
      ] })
      .pageLoadActivity({ id: 51, name: "Page", experiences: [{ name: "all", actions: [vec.remove(".ad")] }] })
      .pageLoadActivity({ id: 52, name: "Form", experiences: [{ name: "x", weight: 100, html: "<p>x</p>" }] })
      .build();
    const home = (artifact.rules.views as any).home;
    expect(home.map((r: any) => `${r.ruleKey}/${r.meta["experience.id"]}/${r.meta["option.id"]}`)).toEqual(["50-0/0/2", "50-1/0/3", "50-0/1/4", "50-1/1/0"]);
    expect(home[3].consequence.options).toEqual([{ eventToken: home[2].consequence.options[0].eventToken }]);
    expect(home[0].consequence.options[0].eventToken).toBe(home[1].consequence.options[0].eventToken);
    expect(home[0].consequence.options[0]).toMatchObject({ type: "actions", content: [{ type: "setHtml", selector: "h1", cssSelector: "h1", content: "A" }] });
    expect(home.every((r: any) => r.meta["location.type"] === "view" && !("offer.id" in r.meta))).toBe(true);
    expect(new Set(home.map((r: any) => r.consequence.metrics[0].eventToken)).size).toBe(1);
    expect(home[0].consequence.metrics[0]).toMatchObject({ selector: "#buy", type: "click" });
    const global = (artifact.rules.mboxes as any)["target-global-mbox"];
    expect(global.map((r: any) => [r.ruleKey, r.meta["location.type"], r.consequence.name])).toEqual([["51-0", "view", "target-global-mbox"], ["52", "mbox", "target-global-mbox"]]);
    expect(artifact.localMboxes).toEqual(["target-global-mbox"]);
    expect(artifact.localViews).toEqual(["home"]);
  });

  it("orders activities by priority, then by insertion; adds property tokens only when given", () => {
    const one = (id: number, priority?: number, propertyTokens?: string[]) => ({ id, name: `a${id}`, mbox: "m", priority, propertyTokens, experiences: [{ name: "x", json: id }] });
    const artifact = anArtifact(base).xtActivity(one(1)).xtActivity(one(2, 10, ["tok"])).xtActivity(one(3)).build();
    const rules = (artifact.rules.mboxes as any).m;
    expect(rules.map((r: any) => r.activityId)).toEqual([2, 1, 3]);
    expect(rules[0].propertyTokens).toEqual(["tok"]);
    expect(rules[1]).not.toHaveProperty("propertyTokens");
  });

  it("derives deterministic, unique, Target-shaped event tokens and audience ids", () => {
    const build = () =>
      anArtifact(base)
        .abActivity(hero)
        .xtActivity({ id: 7, name: "geo", mbox: "g", experiences: [{ name: "SF", audience: geoCityIs("San Francisco"), json: 1 }, { name: "US", audience: geoCountryIs("US"), json: 2 }, { name: "SF again", audience: geoCityIs("San Francisco"), json: 3 }] })
        .build();
    const a = build();
    expect(build()).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    const tokens = Object.values(a.rules.mboxes!).flat().map((r) => r.consequence.options![0]!.eventToken!);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(anArtifact({ ...base, client: "other" }).abActivity(hero).build().rules.mboxes!.hero![0]!.consequence.options![0]!.eventToken).not.toBe(tokens[0]);
    const ids = (a.rules.mboxes as any).g.map((r: any) => r.meta["audience.ids"][0]);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).not.toBe(ids[1]);
    expect(a.geoTargetingEnabled).toBe(true);
  });

  it("copies its input: later mutations of specs or of one build do not leak", () => {
    const content = { nested: { value: 1 } };
    const builder = anArtifact(base).abActivity({ id: 5, name: "n", mbox: "m", experiences: [{ name: "A", json: content }] });
    content.nested.value = 2;
    const first = builder.build();
    (first.rules.mboxes as any).m[0].consequence.options[0].content.nested.value = 3;
    expect((builder.build().rules.mboxes as any).m[0].consequence.options[0].content).toEqual({ nested: { value: 1 } });
  });
});

describe("audience helpers", () => {
  it("emit the json-logic found in real Target artifacts", () => {
    const geoReal = loadArtifact("TEST_ARTIFACT_GEO").rules.mboxes["mbox-geography"][0].condition.and[1].and;
    const timeReal = loadArtifact("TEST_ARTIFACT_TIMEFRAME").rules.mboxes["mbox-dateranges"];
    const address = loadArtifact("TEST_ARTIFACT_ADDRESS").rules.mboxes["mbox-urlcontains"];
    expect(geoCountryIs("United States", "us", "Canada", "CA").condition).toEqual(geoReal[0]);
    expect(geoRegionIs("California", "CA", "British Columbia", "BC").condition).toEqual(geoReal[1]);
    expect(geoCityIs("San Francisco", "Vancouver").condition).toEqual(geoReal[2]);
    expect(not(geoCityIs("South San Francisco")).condition).toEqual(geoReal[7]);
    expect(dayOfWeek([5]).condition).toEqual(timeReal[0].condition);
    expect(dayOfWeek(["friday"]).condition).toEqual(timeReal[0].condition);
    expect(timeFrame({ start: 1613034000000, end: new Date(1613239200000) }).condition).toEqual(timeReal[1].condition);
    expect(urlContains("BAR").condition).toEqual(address[2].condition.and[1]);
    expect(domainIs("Hooli.com").condition).toEqual(address[4].condition.and[1].and[1]);
    expect(browserIs("Firefox").condition).toEqual({ "==": [{ var: "user.browserType" }, "firefox"] });
    expect(paramEquals("favorite.color", "Red", { ignoreCase: true }).condition).toEqual({ "==": ["red", { var: "mbox.favorite.color_lc" }] });
  });

  const at = (iso: string) => {
    const d = new Date(iso);
    const day = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
    const time = `${String(d.getUTCHours()).padStart(2, "0")}${String(d.getUTCMinutes()).padStart(2, "0")}`;
    return { current_timestamp: d.getTime(), current_day: day, current_time: time };
  };

  it.each<[string, Audience, unknown, boolean]>([
    ["urlContains hit", urlContains("/Sale"), { page: { url_lc: "https://x.com/sale/shoes" } }, true],
    ["urlContains miss", urlContains("/sale"), { page: { url_lc: "https://x.com/shoes" } }, false],
    ["urlEquals", urlEquals("HTTPS://X.COM/"), { page: { url_lc: "https://x.com/" } }, true],
    ["pathStartsWith hit", pathStartsWith("/Products"), { page: { path_lc: "/products/42" } }, true],
    ["pathStartsWith miss", pathStartsWith("/products"), { page: { path_lc: "/cart/products" } }, false],
    ["pathEquals is case-sensitive", pathEquals("/Home"), { page: { path: "/home" } }, false],
    ["domainIs", domainIs("Example.co.uk"), { page: { domain_lc: "example.co.uk" } }, true],
    ["queryContains", queryContains("Promo=1"), { page: { query_lc: "a=2&promo=1" } }, true],
    ["paramEquals exact", paramEquals("tier", "gold"), { mbox: { tier: "gold" } }, true],
    ["paramEquals case", paramEquals("tier", "gold"), { mbox: { tier: "Gold" } }, false],
    ["paramEquals number", paramEquals("n", 7), { mbox: { n: "7" } }, true],
    ["paramEquals ignoreCase", paramEquals("tier", "Gold", { ignoreCase: true }), { mbox: { tier_lc: "gold" } }, true],
    ["paramEquals nested", paramEquals("a.b", "x"), { mbox: { a: { b: "x" } } }, true],
    ["paramContains", paramContains("interest", "SHOE"), { mbox: { interest_lc: "red shoes" } }, true],
    ["paramContains missing", paramContains("interest", "shoe"), { mbox: {} }, false],
    ["browserIs", browserIs("mobile safari"), { user: { browserType: "mobile safari" } }, true],
    ["platformIs ios", platformIs("ios"), { user: { platform: "iOS" } }, true],
    ["platformIs windows", platformIs("Windows"), { user: { platform: "windows" } }, true],
    ["geoCountryIs", geoCountryIs("ro"), { geo: { country: "RO" } }, true],
    ["geoCityIs compact", geoCityIs("san francisco"), { geo: { city: "SANFRANCISCO" } }, true],
    ["geoRegionIs miss", geoRegionIs("bc"), { geo: {} }, false],
    ["timeFrame inside", timeFrame({ start: "2024-12-20T00:00:00Z", end: "2024-12-31T23:59:59Z" }), at("2024-12-24T12:00:00Z"), true],
    ["timeFrame after", timeFrame({ start: "2024-12-20T00:00:00Z", end: "2024-12-31T23:59:59Z" }), at("2025-01-01T00:00:00Z"), false],
    ["timeFrame start only", timeFrame({ start: "2024-12-20T00:00:00Z" }), at("2030-01-01T00:00:00Z"), true],
    ["timeFrame end only", timeFrame({ end: "2024-12-20T00:00:00Z" }), at("2030-01-01T00:00:00Z"), false],
    ["dayOfWeek weekend", dayOfWeek([6, 7]), at("2024-06-09T10:00:00Z"), true],
    ["dayOfWeek weekday", dayOfWeek(["saturday", "sunday"]), at("2024-06-10T10:00:00Z"), false],
    ["dayOfWeek hours", dayOfWeek([1], { from: "09:00", to: "17:00" }), at("2024-06-10T18:00:00Z"), false],
    ["timeOfDay", timeOfDay("0900", "1700"), at("2024-06-10T12:30:00Z"), true],
    ["timeOfDay wrapping", timeOfDay("2200", "0600"), at("2024-06-10T23:30:00Z"), true],
    ["timeOfDay wrapping miss", timeOfDay("22:00", "06:00"), at("2024-06-10T12:00:00Z"), false],
    ["and", and(browserIs("chrome"), urlContains("x")), { user: { browserType: "chrome" }, page: { url_lc: "y" } }, false],
    ["or", or(browserIs("chrome"), urlContains("x")), { user: { browserType: "ie" }, page: { url_lc: "x" } }, true],
    ["not", not(browserIs("chrome")), { user: { browserType: "ie" } }, true],
    ["custom", custom({ ">": [{ var: "user.browserVersion" }, 100] }), { user: { browserVersion: 120 } }, true],
  ])("%s evaluates with json-logic-js", (_name, audience, data, expected) => {
    expect(evaluate(audience, data)).toBe(expected);
  });
});

describe("input validation", () => {
  const exp = (weight?: number) => ({ name: `e${String(weight)}`, weight, json: 1 });
  it.each<[string, () => unknown, RegExp]>([
    ["duplicate activity ids", () => anArtifact(base).abActivity({ id: 1, name: "a", mbox: "m", experiences: [exp()] }).xtActivity({ id: 1, name: "b", mbox: "n", experiences: [exp()] }), /duplicate activity id 1/],
    ["weights not summing to 100", () => anArtifact(base).abActivity({ id: 1, name: "a", mbox: "m", experiences: [exp(50), exp(40)] }), /sum to 90, expected 100/],
    ["some weights missing", () => anArtifact(base).abActivity({ id: 1, name: "a", mbox: "m", experiences: [exp(50), exp()] }), /every experience or for none/],
    ["zero weight", () => anArtifact(base).abActivity({ id: 1, name: "a", mbox: "m", experiences: [exp(100), exp(0)] }), /weight must be a number > 0/],
    ["empty experiences", () => anArtifact(base).abActivity({ id: 1, name: "a", mbox: "m", experiences: [] }), /experiences must be a non-empty array/],
    ["missing mbox", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "", experiences: [exp()] }), /mbox must be a non-empty string/],
    ["weights on XT", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [exp(100) as any] }), /not weights/],
    ["unreachable XT experience", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [{ name: "all", json: 1 }, { name: "ff", audience: browserIs("firefox"), json: 2 }] }), /no audience but is not the last/],
    ["two contents", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [{ name: "x", json: 1, html: "<p>" }] }), /only one of/],
    ["actions on an mbox", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [{ name: "x", actions: [vec.remove("p")] }] }), /only supported on views and pageLoad/],
    ["mixed VEC and html", () => anArtifact(base).pageLoadActivity({ id: 1, name: "a", experiences: [{ name: "x", actions: [] }, { name: "y", html: "<p>" }] }), /do not mix/],
    ["non-JSON content", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [{ name: "x", json: { f: NaN } }] }), /not a finite number/],
    ["unknown browser", () => browserIs("netscape" as any), /unknown browser "netscape"/],
    ["bad time", () => timeOfDay("25:00", "0100"), /not a 24-hour time/],
    ["bad day", () => dayOfWeek([8]), /invalid day 8/],
    ["empty timeFrame", () => timeFrame({}), /give start, end or both/],
    ["bad param name", () => paramEquals("a..b", "x"), /empty dotted segment/],
    ["missing client", () => anArtifact({ client: "", organizationId: "x" }), /client: expected a non-empty string/],
    ["conflicting audience ids", () => anArtifact(base).xtActivity({ id: 1, name: "a", mbox: "m", experiences: [{ name: "x", audience: defineAudience(5, browserIs("ie")), json: 1 }, { name: "y", audience: defineAudience(5, browserIs("edge")), json: 1 }] }).build(), /audience id 5 is used for two different conditions/],
  ])("rejects %s with ODE_ERR_INVALID_OPTION", (_name, fn, message) => {
    expectInvalid(fn, message);
  });
});

describe("samples/sample-artifact.json", () => {
  it("is up to date with scripts/build-sample-artifact.ts (run `npx tsx scripts/build-sample-artifact.ts`)", () => {
    expect(readFileSync(SAMPLE_ARTIFACT_PATH, "utf8")).toBe(sampleArtifactText());
  });

  it("is a valid artifact with the demo's mboxes, views, pageLoad and remote mbox", () => {
    const artifact = validateArtifact(JSON.parse(sampleArtifactText()));
    expect(() => compileArtifact(artifact)).not.toThrow();
    expect(artifact.meta).toMatchObject({ clientCode: "demo", organizationId: "DEMO0000000000000000000@AdobeOrg" });
    expect(artifact.localMboxes).toEqual(["banner", "hero", "pricing", "promo", "recommendations", "target-global-mbox"]);
    expect(artifact.localViews).toEqual(["home", "product"]);
    expect(artifact.remoteMboxes).toEqual(["server-side-only"]);
  });

  it("has only conditions that stock json-logic-js evaluates over a full on-device context", () => {
    const artifact = JSON.parse(sampleArtifactText());
    const url = { url: "https://www.example.com/sale", path: "/sale", query: "", domain: "example.com" };
    const page = { ...url, url_lc: url.url, path_lc: url.path, query_lc: "", domain_lc: url.domain };
    const context = { current_timestamp: Date.UTC(2024, 0, 1), current_day: 1, current_time: "1200", user: { browserType: "firefox", platform: "mac" }, page, referring: page, geo: {}, mbox: { category: "Shoes", category_lc: "shoes" }, allocation: 42 };
    const rules = [...Object.values<any[]>(artifact.rules.mboxes), ...Object.values<any[]>(artifact.rules.views)].flat();
    expect(rules.length).toBeGreaterThan(20);
    const matched = rules.filter((rule) => jsonLogic.apply(rule.condition, context)).map((rule) => `${rule.meta["activity.id"]}/${rule.meta["experience.name"]}`);
    expect(matched).toEqual(expect.arrayContaining(["100001/Control", "100003/Firefox users", "100004/Sale pages", "100005/Shoes", "100007/Shoes badge"]));
    expect(matched).not.toContain("100001/Benefit-led");
  });
});
