import { describe, expect, it } from "vitest";
import { compileTargetRule, TargetRuleError } from "../../src/publish/compiler/target-rule";

const v = (name: string) => ({ var: name });
const cond = (rule: unknown) => {
  const compiled = compileTargetRule(rule);
  if (compiled.remote) throw new Error(`unexpectedly remote: ${compiled.reason}`);
  return compiled.condition;
};

describe("targetRule → json-logic: every row of the mapping table", () => {
  const rows: [string, unknown, unknown][] = [
    ["page url equals (case-insensitive)", { page: "url", equals: ["http://Example.com/Sale"] }, { "==": ["http://example.com/sale", v("page.url_lc")] }],
    ["page X contains", { page: "path", contains: ["Sale"] }, { in: ["sale", v("page.path_lc")] }],
    ["page X startsWith", { page: "path", startsWith: ["/Shop"] }, { "==": [{ substr: [v("page.path_lc"), 0, 5] }, "/shop"] }],
    ["page X endsWith", { page: "query", endsWith: ["X=1"] }, { "==": [{ substr: [v("page.query_lc"), -3] }, "x=1"] }],
    ["page X notEquals", { page: "domain", notEquals: ["Example.com"] }, { "!": { "==": ["example.com", v("page.domain_lc")] } }],
    ["page X notContains", { page: "url", notContains: ["old"] }, { "!": { in: ["old", v("page.url_lc")] } }],
    ["referringPage X", { referringPage: "url", contains: ["Google"] }, { in: ["google", v("referring.url_lc")] }],
    ["mbox param equals (case-sensitive)", { mbox: "home", parameter: "foo", equals: ["Bar"] }, { "==": ["Bar", v("mbox.foo")] }],
    ["mbox param equalsIgnoreCase", { mbox: "*", parameter: "favorite.color", equalsIgnoreCase: ["RED"] }, { "==": ["red", v("mbox.favorite.color_lc")] }],
    ["mbox param contains", { mbox: "*", parameter: "q", contains: ["Shoe"] }, { in: ["shoe", v("mbox.q_lc")] }],
    ["mbox param lessThan", { mbox: "*", parameter: "n", lessThan: ["10"] }, { "<": [v("mbox.n"), 10] }],
    ["mbox param lessThanOrEquals", { mbox: "*", parameter: "n", lessThanOrEquals: ["10"] }, { "<=": [v("mbox.n"), 10] }],
    ["mbox param greaterThan", { mbox: "*", parameter: "n", greaterThan: ["2.5"] }, { ">": [v("mbox.n"), 2.5] }],
    ["mbox param greaterThanOrEquals", { mbox: "*", parameter: "n", greaterThanOrEquals: ["-1"] }, { ">=": [v("mbox.n"), -1] }],
    ["mbox param exists", { mbox: "*", parameter: "p", exists: [] }, { "!=": [v("mbox.p"), null] }],
    ["mbox param notExists", { mbox: "*", parameter: "p", notExists: [] }, { "==": [v("mbox.p"), null] }],
    ["mbox param valueExists", { mbox: "*", parameter: "p", valueExists: [] }, { "!!": v("mbox.p") }],
    ["mbox param valueNotExists", { mbox: "*", parameter: "p", valueNotExists: [] }, { "!": v("mbox.p") }],
    ["geo country equals (upper-cased)", { geo: "country", equals: ["us", "United States"] }, { or: [{ "==": ["US", v("geo.country")] }, { "==": ["UNITED STATES", v("geo.country")] }] }],
    ["geo region matches", { geo: "region", matches: ["california"] }, { "==": ["CALIFORNIA", v("geo.region")] }],
    ["geo city equals", { geo: "city", equals: ["San Francisco"] }, { "==": ["SAN FRANCISCO", v("geo.city")] }],
    ["geo latitude greaterThan", { geo: "latitude", greaterThan: ["37.70"] }, { "<": ["37.70", v("geo.latitude")] }],
    ["geo latitude lessThanOrEquals", { geo: "latitude", lessThanOrEquals: ["37.80"] }, { ">=": ["37.80", v("geo.latitude")] }],
    ["geo longitude greaterThanOrEquals", { geo: "longitude", greaterThanOrEquals: ["-122.5"] }, { "<=": ["-122.5", v("geo.longitude")] }],
    ["geo longitude lessThan", { geo: "longitude", lessThan: ["-122.3"] }, { ">": ["-122.3", v("geo.longitude")] }],
    ["browser type equals", { browser: "type", equals: ["Chrome"] }, { "==": [v("user.browserType"), "chrome"] }],
    ["browser version comparisons", { browser: "version", greaterThanOrEquals: ["100"] }, { ">=": [v("user.browserVersion"), 100] }],
    ["operating system name", { operatingSystem: "name", equals: ["Windows"] }, { "==": [v("user.platform"), "windows"] }],
    ["operating system iOS keeps the engine's spelling", { operatingSystem: "name", equals: ["ios"] }, { "==": [v("user.platform"), "iOS"] }],
    ["timeFrame start/end", { timeFrame: { start: "2021-02-11T09:00:00Z", end: "2021-02-13T18:00:00Z" } }, { "<=": [1613034000000, v("current_timestamp"), 1613239200000] }],
    ["timeFrame start only", { timeFrame: { start: "2021-02-11T09:00:00Z" } }, { "<=": [1613034000000, v("current_timestamp")] }],
    [
      "timeFrame days",
      { timeFrame: { days: [5] } },
      { and: [{ or: [{ "==": [v("current_day"), "5"] }] }, { "<=": ["0000", v("current_time"), "2359"] }] },
    ],
    [
      "timeFrame days and hours in UTC",
      { timeFrame: { days: [1, 2], startTime: "09:00", endTime: "17:30" } },
      { and: [{ or: [{ "==": [v("current_day"), "1"] }, { "==": [v("current_day"), "2"] }] }, { "<=": ["0900", v("current_time"), "1730"] }] },
    ],
    [
      "timeFrame hours converted from the audience's offset, wrapping midnight",
      { timeFrame: { days: [1], startTime: "00:30", endTime: "10:00", timezoneOffsetMinutes: 60 } },
      {
        or: [
          { and: [{ or: [{ "==": [v("current_day"), "7"] }] }, { "<=": ["2330", v("current_time"), "2359"] }] },
          { and: [{ or: [{ "==": [v("current_day"), "1"] }] }, { "<=": ["0000", v("current_time"), "0900"] }] },
        ],
      },
    ],
    ["combinators and/or/not", { and: [{ page: "url", contains: ["a"] }, { not: { or: [{ browser: "type", equals: ["ie"] }] } }] }, { and: [{ in: ["a", v("page.url_lc")] }, { "!": { "==": [v("user.browserType"), "ie"] } }] }],
  ];
  for (const [name, rule, expected] of rows) it(name, () => expect(cond(rule)).toEqual(expected));

  const remote: [string, unknown][] = [
    ["landingPage", { landingPage: "url", contains: ["x"] }],
    ["geo zip", { geo: "zip", equals: ["94107"] }],
    ["geo dma", { geo: "dma", equals: ["807"] }],
    ["profile", { profile: "memberLevel", equals: ["gold"] }],
    ["mobile", { mobile: "isMobile", equals: ["true"] }],
    ["network", { network: "isp", equals: ["x"] }],
    ["trafficSource", { trafficSource: "referrer", contains: ["x"] }],
    ["customerAttribute", { customerAttribute: "tier", equals: ["x"] }],
    ["segment", { segment: "abc", equals: ["x"] }],
    ["a remote leaf inside and", { and: [{ page: "url", contains: ["a"] }, { profile: "x", equals: ["y"] }] }],
  ];
  for (const [name, rule] of remote) it(`${name} → remote (not on-device)`, () => expect(compileTargetRule(rule).remote).toBe(true));

  const invalid: [string, unknown][] = [
    ["unknown category", { weather: "temp", equals: ["hot"] }],
    ["unknown operator", { page: "url", resembles: ["x"] }],
    ["two operators", { page: "url", equals: ["a"], contains: ["b"] }],
    ["no operator", { page: "url" }],
    ["unknown page attribute", { page: "colour", equals: ["x"] }],
    ["empty operand list", { page: "url", equals: [] }],
    ["operand not a string", { page: "url", equals: [{}] }],
    ["non-numeric comparison", { mbox: "*", parameter: "n", lessThan: ["ten"] }],
    ["comparison on a text attribute", { page: "url", lessThan: ["3"] }],
    ["__proto__ parameter", { mbox: "*", parameter: "__proto__", equals: ["x"] }],
    ["empty and", { and: [] }],
    ["not a rule", "page url equals x"],
    ["timeFrame with a bad day", { timeFrame: { days: [8] } }],
    ["timeFrame end before start", { timeFrame: { start: "2022-01-02T00:00:00Z", end: "2022-01-01T00:00:00Z" } }],
    ["mbox without parameter", { mbox: "*", equals: ["x"] }],
  ];
  for (const [name, rule] of invalid) it(`${name} → TargetRuleError`, () => expect(() => compileTargetRule(rule)).toThrow(TargetRuleError));

  it("limits nesting depth", () => {
    let rule: unknown = { page: "url", contains: ["x"] };
    for (let i = 0; i < 40; i++) rule = { not: rule };
    expect(() => compileTargetRule(rule)).toThrow(/deeper/);
  });
});
