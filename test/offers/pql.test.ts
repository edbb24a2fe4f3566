import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { compilePql, type PqlInput } from "../../src/offers/core/pql";

const NOW = Date.parse("2024-06-15T12:00:00.000Z"); // a Saturday
const S = "https://ns.example.com/flight;version=1";

const profile = {
  person: { age: 30, name: { firstName: "Joe", lastName: "Smith" }, score: 2.5 },
  membership: { status: "elite" },
  "xdm:segmentMembership": {
    ups: { seg1: { status: "realized" }, seg2: { status: "existing" }, seg3: { status: "exited" } },
  },
  interests: ["golf", "cars"],
  "xdm:loyalty": { tier: "gold", points: 1200 },
  email: "JOE@EXAMPLE.COM",
  _tenant: { visits: 7 },
};
const events = [
  { type: "flight", flightnumber: "LH1", timestamp: "2024-06-01T10:00:00Z", amount: 100 },
  { type: "flight", flightnumber: "LH1", timestamp: "2024-03-01T10:00:00Z", amount: 200 },
  { type: "flight", flightnumber: "LH1", timestamp: "2023-06-01T10:00:00Z", amount: 300 },
  { type: "flight", flightnumber: "LH2", timestamp: "2024-06-10T10:00:00Z", amount: 50 },
  { type: "purchase", timestamp: "2024-06-15T08:00:00Z", amount: 20 },
];
const context = [
  { "@type": S, "xdm:data": { flightnumber: "LH1", "xdm:channel": "kiosk" } },
  { "@type": "https://ns.example.com/multi", "xdm:data": { seat: "1A" } },
  { "@type": "https://ns.example.com/multi", "xdm:data": { seat: "2B" } },
];
const input: PqlInput = { profile, events, context, now: NOW };

const ev = (expr: string, over: Partial<PqlInput> = {}): boolean =>
  compilePql(expr).evaluate({ ...input, ...over });
const val = (expr: string): unknown => compilePql(expr).value(input);

function compileError(expr: string): DecisioningError {
  try {
    compilePql(expr);
  } catch (err) {
    expect(DecisioningError.is(err)).toBe(true);
    return err as DecisioningError;
  }
  throw new Error(`compiled: ${expr}`);
}

describe("PQL evaluation model", () => {
  it("resolves bare paths and the profile. prefix against the profile", () => {
    expect(ev("person.age = 30")).toBe(true);
    expect(ev('profile.person.name.firstName.equals("Joe", false)')).toBe(true);
    expect(ev('profile.person.name.firstName.equals("joe", false)')).toBe(true);
    expect(ev('profile.person.name.firstName.equals("joe")')).toBe(false);
  });

  it("falls back to the xdm: prefixed property and keeps tenant segments", () => {
    expect(ev('loyalty.tier = "gold"')).toBe(true);
    expect(ev("_tenant.visits = 7")).toBe(true);
  });

  it("makes every comparison with a missing operand false, and not negates normally", () => {
    for (const op of ["=", "!=", "<", "<=", ">", ">="]) expect(ev(`person.missing ${op} 1`), op).toBe(false);
    expect(ev("not (person.missing = 1)")).toBe(true);
    expect(ev("!(person.missing != 1)")).toBe(true);
    expect(ev("person.missing in [1, 2]")).toBe(false);
    expect(ev("person.missing notIn [1, 2]")).toBe(false);
    expect(ev('person.missing.contains("a")')).toBe(false);
    expect(ev('person.missing.doesNotContain("a")')).toBe(false);
  });

  it("tests presence with isNull and isNotNull", () => {
    expect(ev("person.missing.isNull()")).toBe(true);
    expect(ev("person.age.isNotNull()")).toBe(true);
    expect(ev("person.age.isNull()")).toBe(false);
  });

  it("compares numbers across int and double, strings by code unit, never string with number", () => {
    expect(ev("person.score > 2")).toBe(true);
    expect(ev("person.age = 30.0")).toBe(true);
    expect(ev('person.name.firstName < "Joseph"')).toBe(true);
    expect(ev('"B" < "a"')).toBe(true);
    expect(ev('person.age = "30"')).toBe(false);
    expect(ev("true = true")).toBe(true);
    expect(ev("true < false")).toBe(false);
  });

  it("coerces ISO strings when compared with a date", () => {
    expect(ev('"2024-06-01T00:00:00Z" < now')).toBe(true);
    expect(ev('date(2024, 6, 15) = "2024-06-15T00:00:00Z"')).toBe(true);
    expect(ev('"2024-06-01" < "2024-05-01"')).toBe(false);
  });

  it("applies truthiness to non-boolean values in boolean positions", () => {
    expect(ev("person.age")).toBe(true);
    expect(ev("0")).toBe(false);
    expect(ev('""')).toBe(false);
    expect(ev("interests")).toBe(true);
    expect(ev("[]")).toBe(false);
    expect(ev("person")).toBe(true);
    expect(ev("person.missing")).toBe(false);
    expect(ev("@{https://ns.example.com/multi} and person.age > 1")).toBe(true);
  });

  it("reads keywords case-insensitively and identifiers case-sensitively", () => {
    expect(ev("person.age > 1 AND person.age < 100 Or false")).toBe(true);
    expect(ev("NOT person.age = 1")).toBe(true);
    expect(ev("Person.age = 30")).toBe(false);
  });

  it("accepts single-quoted strings, escapes and backtick identifiers", () => {
    expect(ev("person.name.firstName = 'Joe'")).toBe(true);
    expect(ev('"a\\"b".contains("\\"")')).toBe(true);
    expect(ev("`person`.`age` = 30")).toBe(true);
  });
});

describe("PQL operators and functions", () => {
  it("membership: in, notIn over lists and array paths", () => {
    expect(ev('"golf" in interests')).toBe(true);
    expect(ev("person.age in [1, 30]")).toBe(true);
    expect(ev("person.age notIn [1, 2]")).toBe(true);
    expect(ev('"tennis" notIn interests')).toBe(true);
    expect(ev('"golf" notIn interests')).toBe(false);
  });

  it("like: % any run, _ one character, whole string, case-sensitive", () => {
    expect(ev('person.name.firstName like "J%"')).toBe(true);
    expect(ev('person.name.firstName like "J_e"')).toBe(true);
    expect(ev('person.name.firstName like "j%"')).toBe(false);
    expect(ev('person.name.firstName like "Jo"')).toBe(false);
    expect(ev('person.name.lastName like "%mi%"')).toBe(true);
  });

  it("string methods with the optional case-sensitivity flag", () => {
    expect(ev('email.contains("example")')).toBe(false);
    expect(ev('email.contains("example", false)')).toBe(true);
    expect(ev('email.startsWith("JOE")')).toBe(true);
    expect(ev('email.endsWith(".com", false)')).toBe(true);
    expect(ev('email.doesNotContain("x")')).toBe(true);
    expect(ev('email.doesNotStartWith("JOE")')).toBe(false);
    expect(ev('email.doesNotEndWith(".org")')).toBe(true);
    expect(ev('person.name.firstName.notEqualTo("Jim")')).toBe(true);
  });

  it("matches is a regex search; a leading (?i) makes it case-insensitive", () => {
    expect(ev('person.name.firstName.matches("(?i)^joe")')).toBe(true);
    expect(ev('person.name.firstName.matches("^joe")')).toBe(false);
    expect(ev('person.name.lastName.matches("mit")')).toBe(true);
  });

  it("set tests and aggregates", () => {
    expect(ev('interests.includes("cars")')).toBe(true);
    expect(ev('interests.intersects(["cars", "boats"])')).toBe(true);
    expect(ev('interests.subsetOf(["cars", "golf", "x"])')).toBe(true);
    expect(ev('interests.supersetOf(["cars"])')).toBe(true);
    expect(val("[1, 2, 3].sum()")).toBe(6);
    expect(val("[1, 2, 3].average()")).toBe(2);
    expect(val("[3, 1, 2].min()")).toBe(1);
    expect(val("[3, 1, 2].max()")).toBe(3);
    expect(val("interests.count()")).toBe(2);
    expect(val('sum(xEvent[type = "flight"].amount)')).toBe(100);
    expect(val("[].average()")).toBe(null);
  });

  it("maps: get, keys, values", () => {
    expect(ev('segmentMembership.get("ups").get("seg1").status in ["realized", "existing"]')).toBe(true);
    expect(ev('segmentMembership.get("ups").get("seg3").status in ["realized", "existing"]')).toBe(false);
    expect(val("person.name.keys()")).toEqual(["firstName", "lastName"]);
    expect(val("person.name.values()")).toEqual(["Joe", "Smith"]);
  });

  it("inSegment is sugar for realized/existing in the ups namespace", () => {
    expect(ev('inSegment("seg1")')).toBe(true);
    expect(ev('inSegment("seg2")')).toBe(true);
    expect(ev('inSegment("seg3")')).toBe(false);
    expect(ev('inSegment("nope")')).toBe(false);
  });

  it("array filter evaluates the condition with the element as root", () => {
    expect(val('xEvent[type = "flight"].count()')).toBe(4);
    expect(val("xEvent[amount > 100].count()")).toBe(2);
    expect(val("xEvent[0].amount")).toBe(100);
  });

  it("select, exists and forall", () => {
    expect(ev('select e from xEvent where e.type = "purchase"')).toBe(true);
    expect(ev('select e from xEvent where e.type = "refund"')).toBe(false);
    expect(val('(select e from xEvent where e.type = "flight").count()')).toBe(4);
    expect(ev("exists e from xEvent where e.amount > 250")).toBe(true);
    expect(ev("forall e from xEvent: e.amount > 10")).toBe(true);
    expect(ev("forall e from xEvent: e.amount > 20")).toBe(false);
    expect(ev("exists e from person.missing where true")).toBe(false);
    expect(ev("forall e from [] : false")).toBe(true);
  });

  it("if, let and arithmetic (division by zero is null)", () => {
    expect(val('if(person.age > 18, "adult", "minor")')).toBe("adult");
    expect(ev("let x = person.age in x * 2 = 60")).toBe(true);
    expect(ev("let x = (1 in [1]) in x")).toBe(true);
    expect(val("7 % 4 + 2 * 3 - -1")).toBe(10);
    expect(val("1 / 0")).toBe(null);
    expect(ev("1 / 0 = 1 / 0")).toBe(false);
  });

  it("date and calendar functions in UTC", () => {
    expect(val("currentMonth()")).toBe(6);
    expect(val("currentYear()")).toBe(2024);
    expect(val("currentDayOfMonth()")).toBe(15);
    expect(val("date(2024, 2, 29).getMonth()")).toBe(2);
    expect(val('"2023-12-31T23:59:59Z".getYear()')).toBe(2023);
    expect(val("now.getDayOfMonth()")).toBe(15);
  });
});

describe("PQL occurs (UTC, inclusive bounds)", () => {
  const at = (iso: string, tail: string) => ev(`"${iso}" occurs ${tail}`);

  it("before and after", () => {
    expect(at("2024-06-15T11:59:59Z", "before now")).toBe(true);
    expect(at("2024-06-15T12:00:00Z", "before now")).toBe(false);
    expect(at("2024-06-15T12:00:01Z", "after now")).toBe(true);
    expect(at("2024-06-14T23:59:59Z", "before today")).toBe(true);
  });

  it("<= and < N units before R", () => {
    expect(at("2024-06-08T12:00:00Z", "<= 7 days before now")).toBe(true);
    expect(at("2024-06-08T12:00:00Z", "< 7 days before now")).toBe(false);
    expect(at("2024-06-08T11:59:59Z", "<= 7 days before now")).toBe(false);
    expect(at("2024-06-15T12:00:01Z", "<= 7 days before now")).toBe(false);
  });

  it(">= and > N units before R", () => {
    expect(at("2024-06-08T12:00:00Z", ">= 7 days before now")).toBe(true);
    expect(at("2024-06-08T12:00:00Z", "> 7 days before now")).toBe(false);
    expect(at("2024-06-08T11:00:00Z", "> 7 days before now")).toBe(true);
  });

  it("= N units before R means the same unit bucket", () => {
    expect(at("2024-06-13T00:00:00Z", "= 2 days before now")).toBe(true);
    expect(at("2024-06-13T23:59:59Z", "= 2 days before now")).toBe(true);
    expect(at("2024-06-12T23:59:59Z", "= 2 days before now")).toBe(false);
  });

  it("after variants mirror with R + N units", () => {
    expect(at("2024-06-20T12:00:00Z", "<= 5 days after now")).toBe(true);
    expect(at("2024-06-20T12:00:01Z", "<= 5 days after now")).toBe(false);
    expect(at("2024-06-21T00:00:00Z", ">= 5 days after now")).toBe(true);
  });

  it("months clamp to the end of the month", () => {
    const endOfMarch = Date.parse("2024-03-31T00:00:00Z");
    expect(ev('"2024-02-29T00:00:00Z" occurs <= 1 month before now', { now: endOfMarch })).toBe(true);
    expect(ev('"2024-02-28T23:59:59Z" occurs <= 1 month before now', { now: endOfMarch })).toBe(false);
  });

  it("on, between, and calendar periods (weeks start Monday)", () => {
    expect(at("2024-06-15T00:00:00Z", "on today")).toBe(true);
    expect(at("2024-06-15T23:59:59Z", "today")).toBe(true);
    expect(at("2024-06-14T10:00:00Z", "yesterday")).toBe(true);
    expect(at("2024-06-16T10:00:00Z", "on tomorrow")).toBe(true);
    expect(at("2024-06-05T00:00:00Z", "between date(2024, 6, 5) and date(2024, 6, 6)")).toBe(true);
    expect(at("2024-06-07T00:00:00Z", "between date(2024, 6, 5) and date(2024, 6, 6)")).toBe(false);
    expect(at("2024-06-10T00:00:00Z", "this week")).toBe(true);
    expect(at("2024-06-09T23:59:59Z", "this week")).toBe(false);
    expect(at("2024-06-09T23:59:59Z", "last week")).toBe(true);
    expect(at("2024-05-31T10:00:00Z", "last month")).toBe(true);
    expect(at("2025-01-01T00:00:00Z", "next year")).toBe(true);
  });

  it("a missing or non-date value never occurs", () => {
    expect(ev("person.missing occurs before now")).toBe(false);
    expect(ev('"soon" occurs before now')).toBe(false);
  });

  it("runs the seed's flight rule against context data", () => {
    const rule = `membership.status = "elite" and (select e from xEvent where e.type = "flight"
      and e.flightnumber = @{${S}}.flightnumber and e.timestamp occurs <= 6 months before now).count() >= 2`;
    expect(ev(rule)).toBe(true);
    expect(ev(rule, { context: [] })).toBe(false);
  });
});

describe("PQL context data", () => {
  it("resolves @{schema} to xdm:data, prefix-free, and arrays for several items", () => {
    expect(ev(`@{${S}}.channel = "kiosk"`)).toBe(true);
    expect(val("@{https://ns.example.com/multi}.seat")).toBe("1A");
    expect(val('(select c from @{https://ns.example.com/multi} where c.seat = "2B").count()')).toBe(1);
    expect(val("@{https://ns.example.com/none}")).toBe(null);
  });

  it("does not merge context data into the profile", () => {
    expect(ev('flightnumber = "LH1"')).toBe(false);
  });
});

describe("PQL compile errors", () => {
  it.each([
    ["(x) => x.a", "lambda"],
    ["xEvent.map(e => e.a)", "lambda"],
    ["xEvent.map(1)", "map"],
    ["$1 = 2", "$1"],
    ["exists a from x, b from y where a = b", "several bindings"],
    ["exists a, b from x where a", "several bindings"],
    ["a ^ b", "up-operator"],
    ["xEvent.groupBy(1)", "groupBy"],
    ["xEvent.distinct()", "distinct"],
    ["xEvent.topN(1)", "topN"],
    ["xEvent.bottomN(1)", "bottomN"],
    ["xEvent.head()", "head"],
    ["intersection(a, b)", "intersection"],
    ['a.regexGroup("x")', "regexGroup"],
    ["select a from x select b from y", "chained select"],
    ["t occurs <= 2 decades before now", "decades"],
    ["t occurs 1 century before now", "century"],
    ["t occurs = 1 millennium before now", "millennium"],
    ['{"nodeType": "fnApply"}', "XDM AST"],
  ])("rejects %s as unsupported", (expr, what) => {
    const err = compileError(expr);
    expect(err.code).toBe("ODE_ERR_PQL_UNSUPPORTED");
    expect(err.message).toContain("unsupported");
    expect(err.message).toContain(what);
    expect(err.message).toMatch(/at line \d+, column \d+$/);
  });

  it("reports syntax errors with line and column", () => {
    const err = compileError("person.age > 1 and\n  person.name = ");
    expect(err.code).toBe("ODE_ERR_PQL_SYNTAX");
    expect(err.details).toMatchObject({ line: 2, column: 17 });
    expect(compileError("a = = b").details).toMatchObject({ line: 1, column: 5 });
    expect(compileError('"open').message).toContain("unterminated");
  });

  it("rejects unknown functions and wrong arities", () => {
    expect(compileError("foo(1)").message).toContain('unknown function "foo"');
    expect(compileError("a.frobnicate()").message).toContain("unknown function");
    expect(compileError("date(1, 2)").message).toContain("takes 3");
    expect(compileError("a.contains()").message).toContain("takes 1 to 2");
  });

  it("rejects invalid regular expressions at compile time", () => {
    expect(compileError('a.matches("(")').code).toBe("ODE_ERR_PQL_SYNTAX");
    expect(compileError('a.matches("(a)\\\\1")').code).toBe("ODE_ERR_PQL_SYNTAX");
  });

  it("enforces the limits: nesting 30, 15 KB, literal sizes", () => {
    expect(() => compilePql(`${"(".repeat(29)}1${")".repeat(29)} = 1`)).not.toThrow();
    expect(compileError(`${"(".repeat(31)}1${")".repeat(31)}`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`${"not ".repeat(40)}true`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`a = "${"x".repeat(5000)}"`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`a in [${Array(1200).fill("1").join(",")}]`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`a = ${"1".repeat(400)}`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`a = 1${" or a = 1".repeat(2000)}`).code).toBe("ODE_ERR_PQL_LIMIT");
    expect(compileError(`a${".b".repeat(300)}`).code).toBe("ODE_ERR_PQL_LIMIT");
  });
});

describe("PQL bounded evaluation", () => {
  it("stops a quadratic rule over big data at the step budget", () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ n: i }));
    const rule = compilePql("exists a from xEvent where (exists b from xEvent where b.n = a.n + 5000)", {
      stepBudget: 100_000,
    });
    let error: unknown;
    try {
      rule.evaluate({ profile: {}, events: many, now: NOW });
    } catch (err) {
      error = err;
    }
    expect(DecisioningError.is(error) && error.code).toBe("ODE_ERR_PQL_LIMIT");
  });

  it("matches runs in linear time on catastrophic patterns", () => {
    const rule = compilePql('s.matches("^(a+)+$")');
    const started = performance.now();
    expect(rule.evaluate({ profile: { s: `${"a".repeat(50_000)}!` }, now: NOW })).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("like never backtracks exponentially", () => {
    const rule = compilePql(`s like "${"%a".repeat(20)}%b"`);
    expect(rule.evaluate({ profile: { s: "a".repeat(3000) }, now: NOW })).toBe(false);
  });

  it("cannot reach prototypes", () => {
    expect(ev("constructor.isNotNull()")).toBe(false);
    expect(ev("__proto__.isNotNull()")).toBe(false);
    expect(ev("person.toString.isNotNull()")).toBe(false);
    expect(ev('person.get("constructor").isNotNull()')).toBe(false);
  });
});
