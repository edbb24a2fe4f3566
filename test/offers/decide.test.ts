import { describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { CatalogBuilder, chosenIds, decisionBody, HTML, IMAGELINK, TEXT } from "./support";
import { NOW, runtimeFor } from "./runtime-support";

/** One placement, a tag filter, a fallback and a live activity; offers are added per test. */
function basic() {
  const b = new CatalogBuilder();
  const placement = b.placement("web banner");
  const tag = b.tag("summer");
  const filter = b.filter("anyTags", [tag]);
  const fallback = b.fallback([placement]);
  return { b, placement, tag, filter, fallback };
}

function withActivity(setup = basic(), extra: Partial<Parameters<CatalogBuilder["activity"]>[0]> = {}) {
  const activity = setup.b.activity({
    placement: setup.placement,
    filter: setup.filter,
    fallback: setup.fallback,
    ...extra,
  });
  return { ...setup, activity };
}

async function rejection(p: Promise<unknown>): Promise<DecisioningError> {
  try {
    await p;
  } catch (err) {
    if (DecisioningError.is(err)) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("decision request validation", () => {
  it("answers 422 for unknown activity, unknown placement, placement not in the activity", async () => {
    const s = withActivity();
    const other = s.b.placement("other");
    const { decide } = runtimeFor(s.b);
    const cases = [
      decisionBody([{ activity: "xcore:offer-activity:nope", placement: s.placement }]),
      decisionBody([{ activity: s.activity, placement: "xcore:offer-placement:nope" }]),
      decisionBody([{ activity: s.activity, placement: other }]),
    ];
    for (const body of cases) {
      const err = await rejection(decide(body));
      expect(err.code).toBe("ODE_ERR_OFFERS_UNPROCESSABLE");
      expect(err.status).toBe(422);
    }
  });

  it("answers 422 for itemCount 0 or 31 and more than 30 proposition requests", async () => {
    const s = withActivity();
    const { decide } = runtimeFor(s.b);
    for (const itemCount of [0, 31, 1.5]) {
      expect(
        (await rejection(decide(decisionBody([{ activity: s.activity, placement: s.placement, itemCount }]))))
          .status,
      ).toBe(422);
    }
    const many = Array.from({ length: 31 }, () => ({ activity: s.activity, placement: s.placement }));
    expect((await rejection(decide(decisionBody(many)))).status).toBe(422);
    const thirty = Array.from({ length: 30 }, () => ({ activity: s.activity, placement: s.placement }));
    await expect(decide(decisionBody(thirty, { duplicates: true }))).resolves.toBeDefined();
  });

  it("answers 400 for malformed requests", async () => {
    const s = withActivity();
    const { decide } = runtimeFor(s.b);
    const good = decisionBody([{ activity: s.activity, placement: s.placement }]);
    const bad: unknown[] = [
      null,
      [],
      "x",
      {},
      { ...good, "xdm:propositionRequests": [] },
      { ...good, "xdm:propositionRequests": [{ "xdm:activityId": 5 }] },
      {
        ...good,
        "xdm:propositionRequests": [
          { "xdm:activityId": s.activity, "xdm:placementId": s.placement, "xdm:itemCount": "2" },
        ],
      },
      { ...good, "xdm:profiles": [] },
      { ...good, "xdm:profiles": [{ "xdm:identityMap": {} }] },
      { ...good, "xdm:profiles": [{ "xdm:identityMap": { Email: "a" } }] },
      { ...good, "xdm:dryRun": "yes" },
      { ...good, "xdm:allowDuplicatePropositions": { "xdm:acrossActivities": 1 } },
      { ...good, "xdm:responseFormat": { "xdm:includeMetadata": { "xdm:option": "name" } } },
    ];
    for (const body of bad) {
      const err = await rejection(decide(body));
      expect(err.code, JSON.stringify(body)).toBe("ODE_ERR_OFFERS_INVALID_REQUEST");
      expect(err.status).toBe(400);
    }
  });
});

describe("activity gate", () => {
  it.each([
    [{ status: "draft" }],
    [{ status: "archived" }],
    [{ start: "2024-06-15T12:00:00.001Z" }],
    [{ end: "2024-06-15T11:59:59.999Z" }],
  ])("rejects an activity that is not active: %j", async (extra) => {
    const s = withActivity(basic(), extra);
    const err = await rejection(
      runtimeFor(s.b).decide(decisionBody([{ activity: s.activity, placement: s.placement }])),
    );
    expect(err.status).toBe(422);
    expect(err.message).toContain("not active");
  });

  it("accepts an activity whose window includes now at both ends", async () => {
    const s = withActivity(basic(), { start: "2024-06-15T12:00:00.000Z", end: "2024-06-15T12:00:00.000Z" });
    const r = await runtimeFor(s.b).decide(decisionBody([{ activity: s.activity, placement: s.placement }]));
    expect(chosenIds(r)).toEqual([[`fallback:${s.fallback}`]]);
  });
});

describe("candidate steps: status, filter, placement, calendar", () => {
  it("keeps only approved offers", async () => {
    const s = basic();
    const approved = s.b.offer({ tags: [s.tag], placements: [s.placement] });
    for (const status of ["draft", "pending", "rejected", "archived"])
      s.b.offer({ status, priority: 9, tags: [s.tag], placements: [s.placement] });
    const t = withActivity(s);
    const r = await runtimeFor(t.b).decide(
      decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 5 }]),
    );
    expect(chosenIds(r)).toEqual([[approved]]);
  });

  it("filters by manual list, any tag and all tags; an empty list matches nothing", async () => {
    const b = new CatalogBuilder();
    const p = b.placement();
    const [t1, t2] = [b.tag("one"), b.tag("two")];
    const both = b.offer({ name: "both", tags: [t1, t2], placements: [p], priority: 3 });
    const one = b.offer({ name: "one", tags: [t1], placements: [p], priority: 2 });
    const none = b.offer({ name: "none", placements: [p], priority: 1 });
    const fb = b.fallback([p]);
    const act = (filter: string) => b.activity({ placement: p, filter, fallback: fb });
    const manual = act(b.filter("offers", [none, one]));
    const any = act(b.filter("anyTags", [t1, t2]));
    const all = act(b.filter("allTags", [t1, t2]));
    const empty = act(b.filter("offers", []));
    const { decide } = runtimeFor(b);
    const ids = async (a: string) =>
      chosenIds(await decide(decisionBody([{ activity: a, placement: p, itemCount: 5 }])))[0];
    expect(await ids(manual)).toEqual([one, none]);
    expect(await ids(any)).toEqual([both, one]);
    expect(await ids(all)).toEqual([both]);
    expect(await ids(empty)).toEqual([`fallback:${fb}`]);
  });

  it("keeps only offers with a representation for the placement", async () => {
    const s = basic();
    const elsewhere = s.b.placement("elsewhere");
    const here = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 1 });
    s.b.offer({ tags: [s.tag], placements: [elsewhere], priority: 5 });
    const t = withActivity(s);
    const r = await runtimeFor(t.b).decide(
      decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 5 }]),
    );
    expect(chosenIds(r)).toEqual([[here]]);
  });

  it("applies the calendar inclusively at both ends", async () => {
    const s = basic();
    const startsNow = s.b.offer({
      tags: [s.tag],
      placements: [s.placement],
      start: "2024-06-15T12:00:00.000Z",
      priority: 5,
    });
    const endsNow = s.b.offer({
      tags: [s.tag],
      placements: [s.placement],
      end: "2024-06-15T12:00:00.000Z",
      priority: 4,
    });
    s.b.offer({ tags: [s.tag], placements: [s.placement], start: "2024-06-15T12:00:00.001Z", priority: 3 });
    s.b.offer({ tags: [s.tag], placements: [s.placement], end: "2024-06-15T11:59:59.999Z", priority: 2 });
    const t = withActivity(s);
    const r = await runtimeFor(t.b).decide(
      decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 5 }]),
    );
    expect(chosenIds(r)).toEqual([[startsNow, endsNow]]);
  });
});

describe("eligibility rules", () => {
  it("keeps offers whose rule is true for the profile and context; unknown profiles are empty", async () => {
    const s = basic();
    const adult = s.b.rule("person.age >= 18");
    const kiosk = s.b.rule('@{https://ns.example.com/ctx}.channel = "kiosk"');
    const forAdults = s.b.offer({ tags: [s.tag], placements: [s.placement], rule: adult, priority: 3 });
    const forKiosk = s.b.offer({ tags: [s.tag], placements: [s.placement], rule: kiosk, priority: 2 });
    const t = withActivity(s);
    const profiles = [{ identityMap: { Email: [{ id: "adult@x", primary: true }] }, person: { age: 30 } }];
    const { decide } = runtimeFor(t.b, { profiles });
    const ask = async (identity: string, context?: unknown[]) =>
      chosenIds(
        await decide(
          decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 5 }], {
            identity,
            context,
          }),
        ),
      )[0];
    expect(await ask("Email:adult@x")).toEqual([forAdults]);
    expect(await ask("Email:unknown@x")).toEqual([`fallback:${t.fallback}`]);
    const ctx = [{ "@type": "https://ns.example.com/ctx", "xdm:data": { "xdm:channel": "kiosk" } }];
    expect(await ask("Email:adult@x", ctx)).toEqual([forAdults, forKiosk]);
  });

  it("never proposes an offer whose rule is missing, does not compile, or exceeds its budget", async () => {
    const s = basic();
    const broken = s.b.rule("person.age >");
    const heavy = s.b.rule(
      "exists a from xEvent where (exists b from xEvent where (exists c from xEvent where c.n = a.n + b.n + 1000000))",
    );
    s.b.offer({ tags: [s.tag], placements: [s.placement], rule: broken, priority: 3 });
    s.b.offer({
      tags: [s.tag],
      placements: [s.placement],
      rule: "xcore:eligibility-rule:missing",
      priority: 3,
    });
    s.b.offer({ tags: [s.tag], placements: [s.placement], rule: heavy, priority: 3 });
    const plain = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 1 });
    const t = withActivity(s);
    const events = Array.from({ length: 300 }, (_, n) => ({ n }));
    const profiles = [{ identityMap: { Email: [{ id: "a@b.c" }] }, xEvent: events }];
    const r = await runtimeFor(t.b, { profiles }).decide(
      decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 5 }]),
    );
    expect(chosenIds(r)).toEqual([[plain]]);
  });
});

describe("ranking, top k and fallback", () => {
  it("orders by priority descending and returns the top k", async () => {
    const s = basic();
    const ids = [5, 1, 9, 3, 7].map(
      (priority) => [priority, s.b.offer({ tags: [s.tag], placements: [s.placement], priority })] as const,
    );
    const t = withActivity(s);
    const r = await runtimeFor(t.b).decide(
      decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 3 }]),
    );
    const expected = [...ids]
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3)
      .map(([, id]) => id);
    expect(chosenIds(r)).toEqual([expected]);
  });

  it("answers with the fallback when nothing qualifies, and never counts it", async () => {
    const t = withActivity();
    const { decide } = runtimeFor(t.b);
    const r = await decide(
      decisionBody([{ activity: t.activity, placement: t.placement }], { includeContent: true }),
    );
    expect(r["xdm:propositions"][0]["xdm:fallback"]).toMatchObject({
      "xdm:id": t.fallback,
      "repo:etag": 1,
      "xdm:content": "fallback",
    });
    expect(r["xdm:propositions"][0]["xdm:options"]).toBeUndefined();
  });
});

describe("ties", () => {
  function tied(n: number) {
    const s = basic();
    const ids = Array.from({ length: n }, () =>
      s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 5 }),
    );
    s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 1 });
    return { ...withActivity(s), ids };
  }

  it("without a seed, each of n tied offers wins 1/n of 10,000 requests within ±3 %", async () => {
    const t = tied(4);
    const { decide } = runtimeFor(t.b);
    const wins = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const [[id]] = chosenIds(
        await decide(decisionBody([{ activity: t.activity, placement: t.placement }])),
      );
      wins.set(id!, (wins.get(id!) ?? 0) + 1);
    }
    expect([...wins.keys()].sort()).toEqual([...t.ids].sort());
    for (const count of wins.values()) expect(Math.abs(count / 10_000 - 1 / 4)).toBeLessThanOrEqual(0.03);
  });

  it("with a seed, decisions are reproducible (and the seed matters)", async () => {
    const t = tied(6);
    const run = async (seed: string) => {
      const { decide } = runtimeFor(t.b, { randomSeed: seed });
      const out: string[] = [];
      for (let i = 0; i < 50; i++) {
        out.push(
          chosenIds(
            await decide(
              decisionBody([{ activity: t.activity, placement: t.placement, itemCount: 3 }], {
                identity: `Email:${i}@x`,
              }),
            ),
          )[0]!.join(),
        );
      }
      return out;
    };
    const first = await run("42");
    expect(await run("42")).toEqual(first);
    expect(await run("43")).not.toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });
});

describe("capping", () => {
  it("stops proposing an offer at its global cap; the next offer takes over; dryRun never counts", async () => {
    const s = basic();
    const capped = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 9, globalCap: 3 });
    const next = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 1 });
    const t = withActivity(s);
    const { decide } = runtimeFor(t.b);
    const ask = async (identity: string, dryRun?: boolean) =>
      chosenIds(
        await decide(decisionBody([{ activity: t.activity, placement: t.placement }], { identity, dryRun })),
      )[0]![0];
    for (let i = 0; i < 5; i++) expect(await ask(`Email:${i}`, true)).toBe(capped);
    for (let i = 0; i < 3; i++) expect(await ask(`Email:${i}`)).toBe(capped);
    expect(await ask("Email:x")).toBe(next);
    expect(await ask("Email:y", true)).toBe(next);
  });

  it("counts per profile for the profile cap", async () => {
    const s = basic();
    const capped = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 9, profileCap: 2 });
    const t = withActivity(s);
    const { decide } = runtimeFor(t.b);
    const ask = async (identity: string) =>
      chosenIds(
        await decide(decisionBody([{ activity: t.activity, placement: t.placement }], { identity })),
      )[0]![0];
    expect(await ask("Email:a")).toBe(capped);
    expect(await ask("Email:a")).toBe(capped);
    expect(await ask("Email:a")).toBe(`fallback:${t.fallback}`);
    expect(await ask("Email:b")).toBe(capped);
  });

  it("evaluates caps against the state at request start plus what this request already took", async () => {
    const s = basic();
    const capped = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 9, globalCap: 1 });
    const t = withActivity(s);
    const { decide } = runtimeFor(t.b);
    const twice = [1, 2].map(() => ({ activity: t.activity, placement: t.placement }));
    const r = await decide(decisionBody(twice, { duplicates: true }));
    expect(chosenIds(r)).toEqual([[capped], [`fallback:${t.fallback}`]]);
  });
});

describe("de-duplication across activities and placements", () => {
  function twoActivities() {
    const s = basic();
    const other = s.b.placement("other");
    const best = s.b.offer({ tags: [s.tag], placements: [s.placement, other], priority: 9 });
    const second = s.b.offer({ tags: [s.tag], placements: [s.placement, other], priority: 5 });
    const fallback = s.b.fallback([s.placement, other]);
    const a1 = s.b.activity({ placement: s.placement, filter: s.filter, fallback });
    const a2 = s.b.activity({ placement: s.placement, filter: s.filter, fallback });
    const a3 = s.b.activity({ placement: other, filter: s.filter, fallback });
    return { ...s, other, best, second, a1, a2, a3 };
  }

  it("by default, an offer proposed for one activity is not proposed for another", async () => {
    const t = twoActivities();
    const r = await runtimeFor(t.b).decide(
      decisionBody([
        { activity: t.a1, placement: t.placement },
        { activity: t.a2, placement: t.placement },
      ]),
    );
    expect(chosenIds(r)).toEqual([[t.best], [t.second]]);
  });

  it("allows duplicates across activities when asked", async () => {
    const t = twoActivities();
    const r = await runtimeFor(t.b).decide(
      decisionBody(
        [
          { activity: t.a1, placement: t.placement },
          { activity: t.a2, placement: t.placement },
        ],
        { duplicates: { acrossActivities: true, acrossPlacements: false } },
      ),
    );
    expect(chosenIds(r)).toEqual([[t.best], [t.best]]);
  });

  it("needs acrossPlacements too when the placements differ", async () => {
    const t = twoActivities();
    const props = [
      { activity: t.a1, placement: t.placement },
      { activity: t.a3, placement: t.other },
    ];
    const { decide } = runtimeFor(t.b);
    expect(
      chosenIds(
        await decide(
          decisionBody(props, { duplicates: { acrossActivities: true, acrossPlacements: false } }),
        ),
      ),
    ).toEqual([[t.best], [t.second]]);
    expect(chosenIds(await decide(decisionBody(props, { duplicates: true })))).toEqual([[t.best], [t.best]]);
  });

  it("falls back when de-duplication leaves nothing", async () => {
    const s = basic();
    const only = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 9 });
    const a1 = s.b.activity({ placement: s.placement, filter: s.filter, fallback: s.fallback });
    const a2 = s.b.activity({ placement: s.placement, filter: s.filter, fallback: s.fallback });
    const r = await runtimeFor(s.b).decide(
      decisionBody([
        { activity: a1, placement: s.placement },
        { activity: a2, placement: s.placement },
      ]),
    );
    expect(chosenIds(r)).toEqual([[only], [`fallback:${s.fallback}`]]);
  });
});

describe("response assembly", () => {
  it("echoes the decision request id, uses integer etags, a UUID proposition id and the decision time", async () => {
    const s = basic();
    const offer = s.b.offer({ tags: [s.tag], placements: [s.placement] });
    const t = withActivity(s);
    const r = await runtimeFor(t.b).decide(
      decisionBody([{ activity: t.activity, placement: t.placement }], { requestId: "req-1" }),
    );
    expect(r["xdm:decisionRequestId"]).toBe("req-1");
    expect(r["xdm:propositionId"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r["ode:createDate"]).toBe(NOW);
    const [p] = r["xdm:propositions"];
    expect(p["xdm:activity"]).toEqual({ "xdm:id": t.activity, "repo:etag": 1 });
    expect(p["xdm:placement"]).toEqual({ "xdm:id": t.placement, "repo:etag": 1 });
    expect(p["xdm:options"]).toEqual([
      { "xdm:id": offer, "repo:etag": 1, "@type": TEXT, "dc:format": "text/plain", "dc:language": ["en"] },
    ]);
  });

  it("adds content and metadata when requested, choosing the component by language", async () => {
    const s = basic();
    const components = [
      { "@type": TEXT, "dc:format": "text/plain", "dc:language": ["en"], "xdm:copyline": "Hello" },
      { "@type": TEXT, "dc:format": "text/plain", "dc:language": ["de"], "xdm:copyline": "Hallo" },
    ];
    s.b.offer({
      name: "greeting",
      tags: [s.tag],
      placements: [s.placement],
      components,
      characteristics: { tone: "warm" },
    });
    const t = withActivity(s, { name: "Greeter" });
    const { decide } = runtimeFor(t.b);
    const metadata = {
      activity: ["name"],
      option: ["name", "characteristics"],
      placement: ["name", "channel", "componentType"],
    };
    const ctx = (language: string) => [
      { "@type": "https://ns.example.com/env", "xdm:data": { "xdm:language": language } },
    ];
    const r = await decide(
      decisionBody([{ activity: t.activity, placement: t.placement }], {
        includeContent: true,
        metadata,
        context: ctx("de"),
      }),
    );
    const [p] = r["xdm:propositions"];
    expect(p["xdm:activity"]["xdm:name"]).toBe("Greeter");
    expect(p["xdm:placement"]).toMatchObject({
      "xdm:name": "web banner",
      "xdm:channel": "https://ns.adobe.com/xdm/channels/web",
      "xdm:componentType": TEXT,
    });
    expect(p["xdm:options"][0]).toMatchObject({
      "xdm:content": "Hallo",
      "dc:language": ["de"],
      "xdm:name": "greeting",
      "xdm:characteristics": { tone: "warm" },
    });
    const fr = await decide(
      decisionBody([{ activity: t.activity, placement: t.placement }], {
        includeContent: true,
        context: ctx("fr"),
      }),
    );
    expect(fr["xdm:propositions"][0]["xdm:options"][0]["xdm:content"]).toBe("Hello");
  });

  it("emits html and imagelink content", async () => {
    const b = new CatalogBuilder();
    const p = b.placement("p", IMAGELINK);
    const img = b.offer({
      placements: [p],
      priority: 2,
      components: [
        {
          "@type": IMAGELINK,
          "dc:format": "image/png",
          "repo:resolveURL": "https://cdn/x.png",
          "xdm:linkURL": "https://shop/x",
        },
      ],
    });
    const html = b.offer({
      placements: [p],
      priority: 1,
      components: [{ "@type": HTML, "dc:format": "text/html", "xdm:content": "<b>x</b>" }],
    });
    const a = b.activity({
      placement: p,
      filter: b.filter("offers", [img, html]),
      fallback: b.fallback([p]),
    });
    const r = await runtimeFor(b).decide(
      decisionBody([{ activity: a, placement: p, itemCount: 2 }], { includeContent: true }),
    );
    const [o1, o2] = r["xdm:propositions"][0]["xdm:options"];
    expect(o1).toMatchObject({ "xdm:deliveryURL": "https://cdn/x.png", "xdm:content": "https://shop/x" });
    expect(o2).toMatchObject({ "xdm:content": "<b>x</b>" });
  });

  it("answers a v0.9 request with the same response shape", async () => {
    const s = basic();
    const offer = s.b.offer({ tags: [s.tag], placements: [s.placement] });
    const t = withActivity(s);
    const { decide } = runtimeFor(t.b);
    const v09 = await decide({
      "xdm:offerActivities": [{ "xdm:offerActivity": t.activity }],
      "xdm:identityMap": { Email: [{ "xdm:id": "a@b.c" }] },
      "xdm:decisionRequestId": "r9",
    });
    const v10 = await decide(
      decisionBody([{ activity: t.activity, placement: t.placement }], { requestId: "r9" }),
    );
    const strip = (r: Record<string, unknown>) => ({ ...r, "xdm:propositionId": "x" });
    expect(strip(v09)).toEqual(strip(v10));
    expect(chosenIds(v09)).toEqual([[offer]]);
  });
});

describe("/offers and /diagnostics", () => {
  it("lists the candidate set without calendar, eligibility or capping, etags as strings", async () => {
    const s = basic();
    const never = s.b.rule("false");
    const o1 = s.b.offer({
      tags: [s.tag],
      placements: [s.placement],
      priority: 2,
      rule: never,
      end: "2000-01-01T00:00:00Z",
      globalCap: 1,
    });
    const o2 = s.b.offer({ tags: [s.tag], placements: [s.placement], priority: 1 });
    s.b.offer({ tags: [s.tag], placements: [s.placement], status: "draft" });
    const t = withActivity(s);
    const { runtime, index } = runtimeFor(t.b);
    const r = runtime.activityOffers(index.containerId, [t.activity]) as any;
    const entry = r["xdm:activityOffers"][0];
    expect(entry["xdm:offerActivity"]).toEqual({
      "@id": t.activity,
      _links: { self: { href: `/c1/${"instances"}/${t.b.instance(t.activity).instanceId}` } },
      "repo:etag": "1",
    });
    expect(entry["xdm:offers"].map((o: any) => o["@id"])).toEqual([o1, o2]);
    expect(entry["xdm:fallbackOffer"]["@id"]).toBe(t.fallback);
    expect(() => runtime.activityOffers(index.containerId, Array(31).fill(t.activity))).toThrow(/at most 30/);
    expect(() => runtime.activityOffers(index.containerId, ["xcore:offer-activity:none"])).toThrow(
      /unknown activity/,
    );
  });

  it("reports rule compile errors and dangling references", () => {
    const s = basic();
    const broken = s.b.rule("person.age >>> 1");
    const offer = s.b.offer({ tags: [s.tag], placements: [s.placement], rule: broken });
    const dangling = s.b.activity({
      placement: s.placement,
      filter: "xcore:offer-filter:gone",
      fallback: s.fallback,
    });
    const { runtime, index } = runtimeFor(s.b);
    const d = runtime.diagnostics(index.containerId) as any;
    const catalogErrors = d["xdm:operations"]["xdm:offerCatalogUpdate"]["xdm:errors"];
    expect(catalogErrors).toContainEqual({
      "@id": broken,
      message: expect.stringMatching(/^PQL: .*line 1, column \d+/),
    });
    expect(catalogErrors).toContainEqual({
      "@id": offer,
      message: expect.stringContaining("never proposed"),
    });
    expect(d["xdm:operations"]["xdm:activitiesUpdate"]["xdm:errors"]).toContainEqual({
      "@id": dangling,
      message: expect.stringContaining("filter xcore:offer-filter:gone"),
    });
    expect(d["xdm:operations"]["xdm:offerCatalogUpdate"]["xdm:date"]).toBe(new Date(NOW).toISOString());
  });
});
