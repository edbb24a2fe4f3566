import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allocationRanges, compileArtifact } from "../../src/publish/compiler/compile";
import { validateArtifact } from "../../src/artifact/parse";
import { activity, audience, composite, NOW, offer, snapshot } from "./support";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/publish/conformance-conditions.json", import.meta.url), "utf8")).artifacts;
const a = { var: "allocation" };
const conditionsOf = (artifact: any, mbox: string) => artifact.rules.mboxes[mbox].map((r: any) => r.condition);
const compile = (parts: Parameters<typeof snapshot>[0], extra: Partial<Parameters<typeof compileArtifact>[1]> = {}) =>
  validateArtifact(JSON.parse(JSON.stringify(compileArtifact(snapshot(parts), { environment: "production", now: NOW, ...extra })))) as any;

describe("A/B allocation ranges", () => {
  it("50/50 → 0≤a≤50, 50<a≤100", () => {
    expect(allocationRanges([50, 50])).toEqual([
      { and: [{ "<=": [0, a] }, { ">=": [50, a] }] },
      { and: [{ "<": [50, a] }, { ">=": [100, a] }] },
    ]);
  });
  it("99/1 → 0≤a≤99, 99<a≤100", () => {
    expect(allocationRanges([99, 1])).toEqual([
      { and: [{ "<=": [0, a] }, { ">=": [99, a] }] },
      { and: [{ "<": [99, a] }, { ">=": [100, a] }] },
    ]);
  });
  it("three experiences use cumulative bounds", () => {
    expect(allocationRanges([20, 30, 50])).toEqual([
      { and: [{ "<=": [0, a] }, { ">=": [20, a] }] },
      { and: [{ "<": [20, a] }, { ">=": [50, a] }] },
      { and: [{ "<": [50, a] }, { ">=": [100, a] }] },
    ]);
  });
  it("an entry visitorPercentage scales the ranges into [0, E]", () => {
    expect(allocationRanges([50, 50], 40)).toEqual([
      { and: [{ "<=": [0, a] }, { ">=": [20, a] }] },
      { and: [{ "<": [20, a] }, { ">=": [40, a] }] },
    ]);
    expect(allocationRanges([33, 67], 30)).toEqual([
      { and: [{ "<=": [0, a] }, { ">=": [9.9, a] }] },
      { and: [{ "<": [9.9, a] }, { ">=": [30, a] }] },
    ]);
  });
});

describe("reproduces the conditions of the shared conformance artifacts", () => {
  const expectRules = (artifact: any, name: string) => {
    const expected = fixture[name];
    const rules = artifact.rules.mboxes[expected.mbox];
    expect(rules.map((r: any) => r.condition)).toEqual(expected.rules.map((r: any) => r.condition));
    expect(rules.map((r: any) => r.meta["audience.ids"])).toEqual(expected.rules.map((r: any) => r["audience.ids"]));
    expect(rules.map((r: any) => r.meta["activity.type"])).toEqual(expected.rules.map((r: any) => r["activity.type"]));
    expect(rules.map((r: any) => r.ruleKey)).toEqual(expected.rules.map((r: any) => r.ruleKey));
  };

  it("A/B 50/50 without audiences (AB_SIMPLE)", () => {
    const artifact = compile({ offers: [offer(1, "<b>a</b>"), offer(2, "<b>b</b>")], activities: [activity(125873, "ab", "mbox-magician", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 2 }])] });
    expectRules(artifact, "TEST_ARTIFACT_AB_SIMPLE");
  });

  it("XT on browser types with a catch-all experience (BROWSER)", () => {
    const ids = [1750975, 1750991, 1750953, 1751423];
    const types = ["firefox", "safari", "chrome", "ie"];
    const audiences = ids.map((id, i) => audience(id, { browser: "type", equals: [types[i]] }));
    const experiences = [...ids.map((id) => ({ audienceIds: [id], offerId: 1 })), { offerId: 1 }];
    const artifact = compile({ audiences, offers: [offer(1, { x: 1 })], activities: [activity(125871, "xt", "mbox-browsers", experiences)] });
    expectRules(artifact, "TEST_ARTIFACT_BROWSER");
  });

  it("XT on days and date ranges (TIMEFRAME)", () => {
    const audiences = [
      audience(1821826, { timeFrame: { days: [5] } }),
      audience(1821824, { timeFrame: { start: "2021-02-11T09:00:00Z", end: "2021-02-13T18:00:00Z" } }),
      audience(1821825, { timeFrame: { start: "2021-02-15T11:40:00Z", end: "2021-02-19T11:40:00Z" } }),
    ];
    const experiences = [{ audienceIds: [1821826], offerId: 1 }, { audienceIds: [1821824], offerId: 1 }, { audienceIds: [1821825], offerId: 1 }, { offerId: 1 }];
    const artifact = compile({ audiences, offers: [offer(1, "x")], activities: [activity(125879, "xt", "mbox-dateranges", experiences)] });
    expectRules(artifact, "TEST_ARTIFACT_TIMEFRAME");
  });

  it("A/B with parameter audiences, case-sensitive and dotted case-insensitive (PARAMS)", () => {
    const audiences = [
      audience(1821805, { mbox: "mbox-params", parameter: "foo", equals: ["bar"] }),
      audience(2059251, {
        and: [
          { mbox: "mbox-params", parameter: "first.programming.language", equalsIgnoreCase: ["racket"] },
          { mbox: "mbox-params", parameter: "favorite.color", equalsIgnoreCase: ["red"] },
          { mbox: "mbox-params", parameter: "favorite.movie", equalsIgnoreCase: ["The Big Lebowski"] },
        ],
      }),
    ];
    const activities = [
      activity(125874, "ab", "mbox-params", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 1 }], { locationAudienceIds: [1821805], priority: 6 }),
      activity(147386, "ab", "mbox-params", [{ percent: 100, offerId: 1 }], { locationAudienceIds: [2059251] }),
    ];
    expectRules(compile({ audiences, offers: [offer(1, "x")], activities }), "TEST_ARTIFACT_PARAMS");
  });

  it("page audiences: domain parts and url contains (ADDRESS)", () => {
    const audiences = [
      audience(2059508, { and: [{ page: "topLevelDomain", equals: ["us-east-1.elasticbeanstalk.com"] }, { page: "domain", equals: ["wayne-enterprises.us-east-1.elasticbeanstalk.com"] }, { page: "subdomain", equals: ["test"] }] }),
      audience(1821691, { page: "url", contains: ["bar"] }),
      audience(2059504, { and: [{ page: "topLevelDomain", equals: ["com"] }, { page: "domain", equals: ["hooli.com"] }, { page: "subdomain", equals: ["pied.piper.decentralized.test"] }, { page: "query", equals: ["implementation=psl"] }] }),
    ];
    const ab = (id: number, aud: number, priority: number) => activity(id, "ab", "mbox-urlcontains", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 1 }], { locationAudienceIds: [aud], priority });
    const activities = [ab(147437, 2059504, 1), ab(147438, 2059508, 3), ab(125867, 1821691, 2)];
    expectRules(compile({ audiences, offers: [offer(1, "x")], activities }), "TEST_ARTIFACT_ADDRESS");
  });

  it("geo audiences incl. latitude/longitude bounds and a negated city (GEO)", () => {
    const aud = audience(1821883, {
      and: [
        { geo: "country", equals: ["United States", "US", "Canada", "CA"] },
        { geo: "region", equals: ["California", "CA", "British Columbia", "BC"] },
        { geo: "city", equals: ["San Francisco", "SanFrancisco", "Vancouver"] },
        { geo: "latitude", greaterThan: ["37.70"] },
        { geo: "latitude", lessThanOrEquals: ["37.80"] },
        { geo: "longitude", greaterThanOrEquals: ["-122.5"] },
        { geo: "longitude", lessThan: ["-122.3"] },
        { geo: "city", notEquals: ["South San Francisco", "SouthSanFrancisco"] },
      ],
    });
    const artifact = compile({ audiences: [aud], offers: [offer(1, "x")], activities: [activity(125889, "ab", "mbox-geography", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 1 }], { locationAudienceIds: [1821883] })] });
    expectRules(artifact, "TEST_ARTIFACT_GEO");
    expect(artifact.geoTargetingEnabled).toBe(true);
  });

  it("priority order, ties broken by the most recent modification, then the higher id (PRIORITIES)", () => {
    const audiences = [audience(1750975, { browser: "type", equals: ["firefox"] }), audience(1750991, { browser: "type", equals: ["safari"] })];
    const ab = (id: number) => activity(id, "ab", "mbox-prioritized", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 1 }]);
    const activities = [ab(125875), ab(125876), activity(125877, "xt", "mbox-prioritized", [{ audienceIds: [1750975], offerId: 1 }, { audienceIds: [1750991], offerId: 1 }], { priority: 10 })];
    expectRules(compile({ audiences, offers: [offer(1, "x")], activities }), "TEST_ARTIFACT_PRIORITIES");
    const newer = { ...ab(125875), modifiedAt: "2026-02-01T00:00:00.000Z" };
    const reordered = compile({ audiences, offers: [offer(1, "x")], activities: [newer, ab(125876)] });
    expect(reordered.rules.mboxes["mbox-prioritized"].map((r: any) => r.ruleKey)).toEqual(["125875", "125875", "125876", "125876"]);
  });
});

describe("the worked example", () => {
  it("compiles exactly", () => {
    const artifact = compile({
      audiences: [audience(101, { page: "url", contains: ["sale"] }), audience(102, { browser: "type", equals: ["chrome"] })],
      offers: [offer(1, "<p>A</p>"), offer(2, "<p>B</p>"), offer(3, { x: true }), offer(4, { y: true })],
      activities: [
        activity(5, "ab", "home", [{ name: "A", percent: 50, offerId: 1 }, { name: "B", percent: 50, offerId: 2 }], { priority: 10, locationAudienceIds: [101] }),
        activity(6, "xt", "home", [{ name: "X", audienceIds: [102], offerId: 3 }, { name: "Y", offerId: 4 }], { priority: 20 }),
      ],
    });
    const sale = { in: ["sale", { var: "page.url_lc" }] };
    expect(artifact.rules.mboxes.home.map((r: any) => [r.ruleKey, r.meta["experience.name"], r.condition])).toEqual([
      ["6", "X", { "==": [{ var: "user.browserType" }, "chrome"] }],
      ["6", "Y", true],
      ["5", "A", { and: [{ and: [{ "<=": [0, a] }, { ">=": [50, a] }] }, sale] }],
      ["5", "B", { and: [{ and: [{ "<": [50, a] }, { ">=": [100, a] }] }, sale] }],
    ]);
    expect(artifact.localMboxes).toEqual(["home"]);
    expect(artifact.remoteMboxes).toEqual([]);
    expect(artifact.geoTargetingEnabled).toBe(false);
  });
});

describe("artifact contents", () => {
  const base = { offers: [offer(1, "<b>hi</b>"), offer(2, { hero: "json" })] };

  it("rule meta, consequence options, location.id = locationLocalId, event tokens", () => {
    const act = activity(7, "ab", "hero", [{ percent: 60, offerId: 1 }, { percent: 40, offerId: 2 }]);
    act.locations.mboxes[0]!.locationLocalId = 3;
    act.experiences.forEach((e) => (e.optionLocations[0]!.locationLocalId = 3));
    const artifact = compile({ ...base, activities: [act] });
    const [r0, r1] = artifact.rules.mboxes.hero;
    expect(r0.meta).toEqual({
      "activity.id": 7,
      "activity.name": "activity 7",
      "activity.type": "ab",
      "experience.id": 0,
      "experience.name": "Experience A",
      "location.id": 3,
      "location.name": "hero",
      "location.type": "mbox",
      "audience.ids": [],
      "offer.id": 1,
      "offer.name": "offer 1",
      "option.id": 1,
      "option.name": "Offer1",
    });
    expect(r0.consequence.options).toEqual([{ type: "html", content: "<b>hi</b>", eventToken: btoa("7.0.3.1") }]);
    expect(r1.consequence.options).toEqual([{ type: "json", content: { hero: "json" }, eventToken: btoa("7.1.3.2") }]);
    expect(r0.activityId).toBe(7);
  });

  it("XT activity type is landing; an experience without an offer serves default content", () => {
    const artifact = compile({ ...base, activities: [activity(8, "xt", "m", [{ offerId: 1 }, {}])] });
    const rules = artifact.rules.mboxes.m;
    expect(rules[0].meta["activity.type"]).toBe("landing");
    expect(rules[1].consequence.options).toEqual([{ eventToken: btoa("8.1.0.none") }]);
  });

  it("schedule guards: both bounds, start only, end only; ended and non-approved activities are left out", () => {
    const s = "2026-05-01T00:00:00.000Z";
    const e = "2026-07-01T00:00:00.000Z";
    const ts = { var: "current_timestamp" };
    const artifact = compile({
      ...base,
      activities: [
        activity(1, "xt", "both", [{ offerId: 1 }], { startsAt: s, endsAt: e }),
        activity(2, "xt", "start", [{ offerId: 1 }], { startsAt: "2027-01-01T00:00:00.000Z" }),
        activity(3, "xt", "end", [{ offerId: 1 }], { endsAt: e }),
        activity(4, "xt", "ended", [{ offerId: 1 }], { endsAt: "2026-05-01T00:00:00.000Z" }),
        activity(5, "xt", "saved", [{ offerId: 1 }], { state: "saved" }),
        activity(6, "xt", "deactivated", [{ offerId: 1 }], { state: "deactivated" }),
        activity(7, "xt", "deleted", [{ offerId: 1 }], { state: "deleted" }),
      ],
    });
    expect(conditionsOf(artifact, "both")).toEqual([{ "<=": [Date.parse(s), ts, Date.parse(e)] }]);
    expect(conditionsOf(artifact, "start")).toEqual([{ "<=": [Date.parse("2027-01-01T00:00:00.000Z"), ts] }]);
    expect(conditionsOf(artifact, "end")).toEqual([{ ">=": [Date.parse(e), ts] }]);
    expect(Object.keys(artifact.rules.mboxes).sort()).toEqual(["both", "end", "start"]);
  });

  it("condition order: schedule, range, entry audiences, location audiences, experience audiences (AND)", () => {
    const audiences = [audience(1, { page: "url", contains: ["e"] }), audience(2, { page: "url", contains: ["l"] }), audience(3, { page: "url", contains: ["x"] })];
    const act = activity(9, "ab", "m", [{ percent: 100, offerId: 1, audienceIds: [3] }], {
      startsAt: "2026-01-01T00:00:00.000Z",
      locationAudienceIds: [2],
      entryConstraint: { mboxes: [{ name: "m", audienceIds: [1] }], visitorPercentage: 50 },
    });
    const [rule] = compile({ ...base, audiences, activities: [act] }).rules.mboxes.m;
    expect(rule.condition).toEqual({
      and: [
        { "<=": [Date.parse("2026-01-01T00:00:00.000Z"), { var: "current_timestamp" }] },
        { and: [{ "<=": [0, a] }, { ">=": [50, a] }] },
        { in: ["e", { var: "page.url_lc" }] },
        { in: ["l", { var: "page.url_lc" }] },
        { in: ["x", { var: "page.url_lc" }] },
      ],
    });
    expect(rule.meta["audience.ids"]).toEqual([1, 2, 3]);
  });

  it("audienceRule composites: AND, OR, NOT (of the AND of its rules), nested", () => {
    const audiences = [
      audience(1, { page: "url", contains: ["a"] }),
      audience(2, { browser: "type", equals: ["chrome"] }),
      composite(3, { restRuleOperator: "AND", rules: [{ audienceId: 1 }, { audienceId: 2 }] }),
      composite(4, { restRuleOperator: "OR", rules: [{ audienceId: 1 }, { audienceId: 2 }] }),
      composite(5, { restRuleOperator: "NOT", rules: [{ audienceId: 1 }, { audienceId: 2 }] }),
      composite(6, { restRuleOperator: "OR", rules: [{ audienceId: 3 }, { restRuleOperator: "NOT", rules: [{ audienceId: 1 }] }] }),
    ];
    const c1 = { in: ["a", { var: "page.url_lc" }] };
    const c2 = { "==": [{ var: "user.browserType" }, "chrome"] };
    const artifact = compile({ ...base, audiences, activities: [activity(1, "xt", "m", [3, 4, 5, 6].map((id) => ({ audienceIds: [id], offerId: 1 })))] });
    expect(conditionsOf(artifact, "m")).toEqual([{ and: [c1, c2] }, { or: [c1, c2] }, { "!": { and: [c1, c2] } }, { or: [{ and: [c1, c2] }, { "!": c1 }] }]);
  });

  it("an activity with an audience that cannot run on-device becomes remote: no rules, its mboxes in remoteMboxes", () => {
    const audiences = [audience(1, { profile: "tier", equals: ["gold"] }), composite(2, { restRuleOperator: "OR", rules: [{ audienceId: 1 }] })];
    const artifact = compile({
      ...base,
      audiences,
      activities: [activity(1, "xt", "vip", [{ audienceIds: [2], offerId: 1 }, { offerId: 1 }]), activity(2, "xt", "local", [{ offerId: 1 }])],
    });
    expect(artifact.remoteMboxes).toEqual(["vip"]);
    expect(artifact.localMboxes).toEqual(["local"]);
    expect(artifact.rules.mboxes.vip).toBeUndefined();
  });

  it("property tokens: rules carry them; a token's artifact holds its rules and the property-agnostic ones", () => {
    const properties = [
      { id: 1, name: "web", token: "tok-web", createdAt: "", modifiedAt: "" },
      { id: 2, name: "app", token: "tok-app", createdAt: "", modifiedAt: "" },
    ];
    const activities = [
      activity(1, "xt", "web-only", [{ offerId: 1 }], { propertyIds: [1] }),
      activity(2, "xt", "app-only", [{ offerId: 1 }], { propertyIds: [2] }),
      activity(3, "xt", "everywhere", [{ offerId: 1 }]),
    ];
    const all = compile({ ...base, properties, activities });
    expect(all.rules.mboxes["web-only"][0].propertyTokens).toEqual(["tok-web"]);
    expect(all.rules.mboxes.everywhere[0].propertyTokens).toBeUndefined();
    expect(Object.keys(all.rules.mboxes).sort()).toEqual(["app-only", "everywhere", "web-only"]);
    const web = compile({ ...base, properties, activities }, { propertyToken: "tok-web" });
    expect(Object.keys(web.rules.mboxes).sort()).toEqual(["everywhere", "web-only"]);
  });

  it("top level: meta, global mbox, response tokens of the tenant, click metrics", () => {
    const act = activity(1, "xt", "m", [{ offerId: 1 }], {
      metrics: [
        { metricLocalId: 32767, mboxes: [{ name: "m", successEvent: "mbox_clicked" }] },
        { metricLocalId: 1, mboxes: [{ name: "m", successEvent: "mbox_shown" }] },
      ],
    });
    const artifact = compile(
      { ...base, activities: [act], responseTokens: [{ name: "activity.id", status: "active", createdAt: "" }, { name: "profile.x", status: "inactive", createdAt: "" }] },
      { organizationId: "ORG@AdobeOrg", environment: "staging", generatedAt: "2026-06-01T00:00:00.000Z" },
    );
    expect(artifact.version).toBe("1.0.0");
    expect(artifact.meta).toEqual({ clientCode: "acme", environment: "staging", organizationId: "ORG@AdobeOrg", generatedAt: "2026-06-01T00:00:00.000Z" });
    expect(artifact.globalMbox).toBe("target-global-mbox");
    expect(artifact.responseTokens).toEqual(["activity.id"]);
    expect(artifact.rules.mboxes.m[0].consequence.metrics).toEqual([{ type: "click", eventToken: btoa("1.metric.32767") }]);
    expect(artifact.rules.views).toEqual({});
  });

  it("is deterministic", () => {
    const parts = { ...base, activities: [activity(1, "ab", "m", [{ percent: 50, offerId: 1 }, { percent: 50, offerId: 2 }])] };
    expect(JSON.stringify(compile(parts))).toBe(JSON.stringify(compile(parts)));
  });
});
