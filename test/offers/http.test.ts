/** The ODE endpoints over real HTTP (fastify on 127.0.0.1, undici client). */
import Fastify, { type FastifyInstance } from "fastify";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISION_RESPONSE_TYPE, offersPlugin } from "../../src/offers/http-plugin";
import { CatalogBuilder, chosenIds, decisionBody } from "./support";
import { runtimeFor } from "./runtime-support";

const b = new CatalogBuilder("c1");
const placement = b.placement();
const offer = b.offer({ placements: [placement], priority: 5 });
const broken = b.rule(`${"(".repeat(40)}true${")".repeat(40)}`);
const redos = b.rule('person.name.matches("^(a+)+$")');
const unproposable = b.offer({ placements: [placement], priority: 9, rule: broken });
const safe = b.offer({ placements: [placement], priority: 7, rule: redos });
const fallback = b.fallback([placement]);
const activity = b.activity({ placement, filter: b.filter("offers", [offer, unproposable, safe]), fallback });
const draft = b.activity({ placement, filter: b.filter("offers", [offer]), fallback, status: "draft" });

let app: FastifyInstance;
let base: string;
const decisions: number[] = [];

beforeAll(async () => {
  const profiles = [
    { identityMap: { Email: [{ id: "evil@x", primary: true }] }, person: { name: `${"a".repeat(30_000)}!` } },
  ];
  const { runtime } = runtimeFor(b, { profiles });
  app = Fastify({ logger: false });
  await app.register(offersPlugin, { runtime, onDecision: (s) => decisions.push(s) });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(() => app.close());

async function call(method: "GET" | "POST", path: string, body?: unknown, contentType = "application/json") {
  const res = await request(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === "string" ? body : JSON.stringify(body),
          headers: { "content-type": contentType },
        }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    type: String(res.headers["content-type"]),
    body: text ? JSON.parse(text) : undefined,
  };
}

describe("ODE endpoints", () => {
  it("decides with the xdm+json request media type and answers the decision-response type", async () => {
    const body = decisionBody([{ activity, placement }], { requestId: "r-1", identity: "Email:evil@x" });
    const type =
      'application/vnd.adobe.xdm+json; schema="https://ns.adobe.com/experience/offer-management/decision-request;version=1.0"';
    const res = await call("POST", "/data/core/ode/c1/decisions", body, type);
    expect(res.status).toBe(200);
    expect(res.type.startsWith(DECISION_RESPONSE_TYPE)).toBe(true);
    expect(res.body["xdm:decisionRequestId"]).toBe("r-1");
    // the rule that does not compile never proposes its offer; the ReDoS-shaped rule just answers false
    expect(chosenIds(res.body)).toEqual([[offer]]);
  });

  it("serves the container-less /ods forms, finding the container from the activity", async () => {
    const res = await call("POST", "/data/core/ods/decisions", decisionBody([{ activity, placement }]));
    expect(res.status).toBe(200);
    const offers = await call("GET", `/data/core/ods/offers?activityId=${encodeURIComponent(activity)}`);
    expect(offers.status).toBe(200);
    expect(offers.body["xdm:activityOffers"][0]["xdm:offers"].map((o: any) => o["@id"])).toEqual([
      unproposable,
      safe,
      offer,
    ]);
    expect((await call("GET", "/data/core/ods/diagnostics")).status).toBe(200);
  });

  it("lists offers for repeated and comma-separated activityId values", async () => {
    const q = `activityId=${encodeURIComponent(activity)}&activityId=${encodeURIComponent(`${draft},${activity}`)}`;
    const res = await call("GET", `/data/core/ode/c1/offers?${q}`);
    expect(res.status).toBe(200);
    expect(res.body["xdm:activityOffers"]).toHaveLength(3);
    expect(res.body["xdm:activityOffers"][0]["xdm:offerActivity"]["repo:etag"]).toBe("1");
  });

  it("shows stored rules that do not compile in /diagnostics", async () => {
    const res = await call("GET", "/data/core/ode/c1/diagnostics");
    expect(res.status).toBe(200);
    const errors = res.body["xdm:operations"]["xdm:offerCatalogUpdate"]["xdm:errors"];
    expect(errors).toContainEqual({
      "@id": broken,
      message: expect.stringContaining("nesting deeper than 30"),
    });
  });

  it.each([
    ["malformed JSON", "{not json", 400, "ODE_ERR_OFFERS_INVALID_REQUEST"],
    ["a JSON array", "[]", 400, "ODE_ERR_OFFERS_INVALID_REQUEST"],
    ["a prototype-polluting body", '{"__proto__": {"x": 1}}', 400, "ODE_ERR_OFFERS_INVALID_REQUEST"],
  ])("answers %s with a coded 400", async (_what, body, status, code) => {
    const res = await call("POST", "/data/core/ode/c1/decisions", body);
    expect(res.status).toBe(status);
    expect(res.type).toContain("application/problem+json");
    expect(res.body).toMatchObject({ status, code });
  });

  it("answers semantic problems with a coded 422", async () => {
    const cases = [
      decisionBody([{ activity: "xcore:offer-activity:unknown", placement }]),
      decisionBody([{ activity, placement: "xcore:offer-placement:unknown" }]),
      decisionBody([{ activity: draft, placement }]),
      decisionBody([{ activity, placement, itemCount: 0 }]),
      decisionBody([{ activity, placement, itemCount: 31 }]),
      decisionBody(Array.from({ length: 31 }, () => ({ activity, placement }))),
    ];
    for (const body of cases) {
      const res = await call("POST", "/data/core/ode/c1/decisions", body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(422);
      expect(res.body.code).toBe("ODE_ERR_OFFERS_UNPROCESSABLE");
    }
  });

  it("answers bad /offers queries and unknown containers", async () => {
    expect((await call("GET", "/data/core/ode/c1/offers")).status).toBe(400);
    const many = Array.from({ length: 31 }, () => `activityId=${encodeURIComponent(activity)}`).join("&");
    expect((await call("GET", `/data/core/ode/c1/offers?${many}`)).status).toBe(400);
    expect((await call("GET", "/data/core/ode/c1/offers?activityId=xcore:offer-activity:nope")).status).toBe(
      422,
    );
    const unknown = await call(
      "POST",
      "/data/core/ode/nope/decisions",
      decisionBody([{ activity, placement }]),
    );
    expect(unknown.status).toBe(404);
  });

  it("reports every answered decision with its status", () => {
    expect(decisions).toContain(200);
    expect(decisions).toContain(400);
    expect(decisions).toContain(422);
  });
});
