/**
 * fast-check arbitraries for hostile input: Delivery requests, notifications and artifacts that
 * mix the shape the code expects with wrong types, lone UTF-16 surrogates, prototype-pollution
 * keys, huge counts and deep nesting. Used by the property-based fuzz suite (fuzz.test.ts).
 */
import fc from "fast-check";

/** Strings an attacker likes: empty, lone surrogates, pollution keys, separators, long ones. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", "\uD800", "a\uDC00b", "__proto__", "constructor", "prototype", "a.b", "%E0%A4%A", "${x}", "\u0000"),
  fc.string({ unit: "binary", maxLength: 8 }),
);

/** A value of any JSON-ish type (including undefined and -0), shallow. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  nastyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), nastyString), { maxLength: 3 }),
  fc.dictionary(nastyString, fc.oneof(fc.constant(null), fc.integer(), nastyString), { maxKeys: 3 }),
);

/** Either a well-typed value or junk (junk 1 time in 4). */
export const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: junk });

/** A value nested `depth` times in arrays or objects. */
export function nested(depth: number, leaf: unknown = 1, kind: "array" | "object" = "array"): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value };
  return value;
}

const optionalRecord = <T extends Record<string, fc.Arbitrary<unknown>>>(shape: T) =>
  fc.record(shape, { requiredKeys: [] });

const details = (names: readonly string[]) =>
  optionalRecord({
    parameters: maybe(fc.dictionary(fc.oneof(fc.constantFrom(...names), nastyString), maybe(nastyString), { maxKeys: 3 })),
    profileParameters: maybe(fc.dictionary(nastyString, maybe(nastyString), { maxKeys: 2 })),
    address: maybe(optionalRecord({ url: maybe(nastyString), referringUrl: maybe(nastyString) })),
    order: maybe(optionalRecord({ id: maybe(nastyString), total: maybe(fc.double()), purchasedProductIds: maybe(fc.array(nastyString)) })),
    product: maybe(optionalRecord({ id: maybe(nastyString), categoryId: maybe(nastyString) })),
  });

const mboxes = (names: readonly string[]) =>
  fc.array(
    maybe(
      fc.tuple(details(names), optionalRecord({ name: maybe(fc.oneof(fc.constantFrom(...names), nastyString)), index: maybe(fc.integer()) }))
        .map(([d, m]) => ({ ...d, ...m })),
    ),
    { maxLength: 4 },
  );

const views = (names: readonly string[]) =>
  fc.array(
    maybe(
      fc.tuple(details(names), optionalRecord({ name: maybe(fc.oneof(fc.constantFrom(...names), nastyString)), key: maybe(nastyString) }))
        .map(([d, v]) => ({ ...d, ...v })),
    ),
    { maxLength: 3 },
  );

export const notification = optionalRecord({
  id: maybe(nastyString),
  type: maybe(fc.constantFrom("display", "click", "other")),
  timestamp: maybe(fc.integer({ min: 0, max: 2 ** 42 })),
  impressionId: maybe(nastyString),
  tokens: maybe(fc.array(maybe(nastyString), { maxLength: 3 })),
  mbox: maybe(optionalRecord({ name: maybe(nastyString), state: maybe(nastyString) })),
  view: maybe(optionalRecord({ name: maybe(nastyString), key: maybe(nastyString), state: maybe(nastyString) })),
  pageLoad: maybe(optionalRecord({ state: maybe(nastyString) })),
  parameters: maybe(fc.dictionary(nastyString, maybe(nastyString), { maxKeys: 2 })),
});

const customerId = optionalRecord({
  id: maybe(nastyString),
  integrationCode: maybe(nastyString),
  authenticatedState: maybe(fc.constantFrom("unknown", "authenticated", "logged_out")),
});

const context = optionalRecord({
  channel: maybe(fc.constantFrom("web", "mobile")),
  userAgent: maybe(nastyString),
  address: maybe(optionalRecord({ url: maybe(nastyString), referringUrl: maybe(nastyString) })),
  geo: maybe(
    optionalRecord({
      ipAddress: maybe(nastyString),
      countryCode: maybe(nastyString),
      city: maybe(nastyString),
      latitude: maybe(fc.double()),
      longitude: maybe(fc.double()),
    }),
  ),
  clientHints: maybe(optionalRecord({ platform: maybe(nastyString), browserUAWithMajorVersion: maybe(nastyString) })),
  timeOffsetInMinutes: maybe(fc.integer()),
  browser: maybe(optionalRecord({ host: maybe(nastyString) })),
  screen: maybe(optionalRecord({ width: maybe(fc.integer()) })),
  beacon: maybe(fc.boolean()),
});

/** A Delivery request over the given mbox/view names (for example an artifact's). */
export function deliveryRequest(mboxNames: readonly string[] = ["hero"], viewNames: readonly string[] = ["home"]) {
  const names = mboxNames.length > 0 ? mboxNames : ["hero"];
  const vnames = viewNames.length > 0 ? viewNames : ["home"];
  return optionalRecord({
    requestId: maybe(nastyString),
    id: maybe(
      optionalRecord({
        tntId: maybe(nastyString),
        thirdPartyId: maybe(nastyString),
        marketingCloudVisitorId: maybe(nastyString),
        customerIds: maybe(fc.array(maybe(customerId), { maxLength: 3 })),
      }),
    ),
    context: maybe(context),
    property: maybe(optionalRecord({ token: maybe(nastyString) })),
    trace: maybe(optionalRecord({ authorizationToken: maybe(nastyString) })),
    experienceCloud: maybe(
      optionalRecord({
        analytics: maybe(optionalRecord({ logging: maybe(nastyString), supplementalDataId: maybe(nastyString) })),
        audienceManager: maybe(optionalRecord({ locationHint: maybe(fc.integer()), blob: maybe(nastyString) })),
      }),
    ),
    execute: maybe(optionalRecord({ mboxes: maybe(mboxes(names)), pageLoad: maybe(details(names)) })),
    prefetch: maybe(
      optionalRecord({ mboxes: maybe(mboxes(names)), views: maybe(views(vnames)), pageLoad: maybe(details(names)) }),
    ),
    notifications: maybe(fc.array(maybe(notification), { maxLength: 3 })),
  });
}

/** Extra getOffers options that come from cookies and callers. */
export const callOptions = optionalRecord({
  targetCookie: maybe(nastyString),
  visitorCookie: maybe(nastyString),
  targetLocationHint: maybe(nastyString),
  sessionId: maybe(nastyString),
  customerIds: maybe(fc.dictionary(nastyString, maybe(customerId), { maxKeys: 2 })),
});

/** One json-logic condition with small, hostile operands. */
export const condition: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    junk,
    fc.record({ var: fc.oneof(fc.constantFrom("mbox.a", "page.url", "user.browserType", "", "geo.country"), nastyString) }),
    fc.tuple(
      fc.constantFrom("==", "!=", "<", "in", "and", "or", "!", "if", "cat", "+", "*", "map", "filter", "reduce", "merge", "all", "some", "missing", "substr", "var", "max"),
      fc.array(tie("node"), { maxLength: 3 }),
    ).map(([op, args]) => ({ [op]: args })),
  ),
})).node;

/** A value nested 20,000 deep (built when drawn, so shrinking stays cheap). */
const bomb: fc.Arbitrary<unknown> = fc.constantFrom("array", "object").map((kind) => nested(20_000, "x", kind as "array"));
/** Option content: junk, sometimes a bomb. */
const contentOrBomb: fc.Arbitrary<unknown> = fc.oneof({ weight: 8, arbitrary: junk }, { weight: 1, arbitrary: bomb });

/** An artifact-shaped value: mostly valid structure, with junk and hostile parts. */
export function artifactLike(base: Record<string, unknown>) {
  const rule = optionalRecord({
    ruleKey: maybe(nastyString),
    condition: condition,
    propertyTokens: maybe(fc.array(nastyString, { maxLength: 2 })),
    meta: maybe(optionalRecord({ "activity.id": maybe(fc.integer()), "location.name": maybe(nastyString) })),
    consequence: maybe(
      optionalRecord({
        name: maybe(nastyString),
        options: maybe(fc.array(maybe(optionalRecord({ type: maybe(fc.constantFrom("html", "json", "actions", "redirect")), content: contentOrBomb, eventToken: maybe(nastyString) })), { maxLength: 2 })),
        metrics: maybe(fc.array(maybe(optionalRecord({ type: maybe(fc.constantFrom("click", "display")), eventToken: maybe(nastyString) })), { maxLength: 2 })),
      }),
    ),
  }).map((r) => ({ ruleKey: "k", meta: {}, consequence: {}, condition: true, ...r }));
  return fc
    .record(
      {
        version: maybe(fc.constantFrom("1.0.0", "2.0.0", "1")),
        globalMbox: maybe(nastyString),
        responseTokens: maybe(fc.array(nastyString, { maxLength: 2 })),
        localMboxes: maybe(fc.array(nastyString, { maxLength: 2 })),
        remoteMboxes: maybe(fc.array(nastyString, { maxLength: 2 })),
        rules: maybe(
          optionalRecord({
            mboxes: maybe(fc.dictionary(fc.oneof(fc.constant("hero"), nastyString), fc.array(maybe(rule), { maxLength: 2 }), { maxKeys: 2 })),
            views: maybe(fc.dictionary(nastyString, fc.array(maybe(rule), { maxLength: 2 }), { maxKeys: 2 })),
          }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((a) => ({ ...base, ...a }));
}

/** The base artifact with one part of one of its rules replaced by junk, a condition or a 20,000-deep bomb. */
export function artifactMutation(base: Record<string, any>) {
  const places = ["content", "consequenceKey", "ruleMeta", "condition", "metrics", "options", "artifactMeta"] as const;
  return fc
    .record({
      place: fc.constantFrom(...places),
      value: fc.oneof({ weight: 2, arbitrary: junk }, { weight: 1, arbitrary: condition }, { weight: 2, arbitrary: bomb }),
      pick: fc.nat(),
    })
    .map(({ place, value, pick }) => {
      const artifact = structuredClone(base);
      const lists = Object.values<any[]>(artifact.rules.mboxes);
      const list = lists[pick % lists.length]!;
      const rule = list[pick % list.length];
      if (place === "content") rule.consequence.options[0].content = value;
      if (place === "consequenceKey") rule.consequence.extra = value;
      if (place === "ruleMeta") rule.meta.extra = value;
      if (place === "condition") rule.condition = value;
      if (place === "metrics") rule.consequence.metrics = value;
      if (place === "options") rule.consequence.options = value;
      if (place === "artifactMeta") artifact.meta = value;
      return artifact;
    });
}

/** Well-formed Delivery requests (the kind real callers send), so fuzzing also reaches decisions. */
export function validRequest(mboxNames: readonly string[], viewNames: readonly string[]) {
  const text = fc.string({ maxLength: 10 });
  const params = fc.dictionary(fc.oneof(fc.constantFrom("a", "color", "__proto__", "a.b"), text), text, { maxKeys: 3 });
  const mbox = fc.record({ name: fc.constantFrom(...mboxNames, ""), index: fc.nat(10), parameters: params }, { requiredKeys: ["name"] });
  return fc.record(
    {
      id: fc.record({ tntId: fc.constantFrom("t1", "t2.35_0", "t3.28_0"), thirdPartyId: text }, { requiredKeys: [] }),
      context: fc.record(
        {
          channel: fc.constant("web"),
          userAgent: text,
          address: fc.record({ url: fc.constantFrom("https://a.example/sale", "http://x", "not a url", "") }),
          geo: fc.record({ city: text, countryCode: text, latitude: fc.double({ noNaN: true }) }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      execute: fc.record({ mboxes: fc.array(mbox, { minLength: 1, maxLength: 3 }), pageLoad: fc.constant({}) }, { requiredKeys: [] }),
      prefetch: fc.record(
        {
          mboxes: fc.array(mbox, { minLength: 1, maxLength: 2 }),
          views: fc.array(fc.record({ name: fc.constantFrom(...viewNames, "") }, { requiredKeys: [] }), { minLength: 1, maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      notifications: fc.array(fc.record({ id: text, type: fc.constantFrom("display", "click"), timestamp: fc.nat(), mbox: fc.record({ name: fc.constantFrom(...mboxNames) }) }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
}
