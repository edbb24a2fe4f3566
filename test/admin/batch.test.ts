import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestAdmin, V2, V3, type TestAdmin } from "./support";

let t: TestAdmin;
beforeEach(async () => {
  t = await createTestAdmin();
});
afterEach(async () => t.close());

const batch = (operations: unknown, headers: Record<string, string> = { "content-type": "application/json" }) => t.call("POST", "/acme/target/batch", typeof operations === "string" ? operations : { operations }, headers);
const offer = (id: number, name = `o${id}`, extra: Record<string, unknown> = {}) => ({ operationId: id, method: "POST", relativeUrl: "/target/offers/content", body: { name, content: `<p>${name}</p>` }, ...extra });
const offersTotal = async () => (await t.call("GET", "/acme/target/offers", undefined, { accept: V2 })).body.total;

async function expectWholeBatchRejected(operations: unknown, errorCode?: string) {
  const res = await batch(operations);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ httpStatus: 400, requestId: expect.any(String), requestTime: expect.any(String) });
  if (errorCode) expect(res.body.errors.map((e: any) => e.errorCode)).toContain(errorCode);
  expect(await offersTotal()).toBe(0);
  return res;
}

describe("Batch API: validation rejects the whole batch (400) and runs nothing", () => {
  it("256 operations with ids 0-255 are valid", async () => {
    const ops = Array.from({ length: 256 }, (_, i) => ({ operationId: i, method: "GET", relativeUrl: "/target/environments" }));
    const res = await batch(ops);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(256);
    expect(res.body.results.map((r: any) => r.operationId)).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it("257 operations", async () => {
    const ops = Array.from({ length: 257 }, (_, i) => offer(i % 256));
    await expectWholeBatchRejected(ops, "Batch.Request.Invalid");
  });
  it("operationId 256 or -1, or not an integer, or missing", async () => {
    await expectWholeBatchRejected([offer(0), offer(256)]);
    await expectWholeBatchRejected([offer(0), offer(-1)]);
    await expectWholeBatchRejected([offer(0), { ...offer(1), operationId: 1.5 }]);
    await expectWholeBatchRejected([offer(0), { method: "POST", relativeUrl: "/target/offers/content" }]);
  });
  it("two operations with id 3", () => expectWholeBatchRejected([offer(3), offer(3)], "Batch.Operation.Invalid"));
  it("dependsOnOperationIds [1, 1]", () => expectWholeBatchRejected([offer(0), offer(1), offer(2, "x", { dependsOnOperationIds: [1, 1] })]));
  it("depends on an unknown id", () => expectWholeBatchRejected([offer(0), offer(1, "x", { dependsOnOperationIds: [9] })], "Batch.Dependency.Invalid"));
  it("a cycle 0→1→2→0", () =>
    expectWholeBatchRejected([offer(0, "a", { dependsOnOperationIds: [2] }), offer(1, "b", { dependsOnOperationIds: [0] }), offer(2, "c", { dependsOnOperationIds: [1] }), offer(3)], "Batch.Dependency.Cycle"));
  it("an operation depending on itself", () => expectWholeBatchRejected([offer(4, "a", { dependsOnOperationIds: [4] })], "Batch.Dependency.Cycle"));
  it("relativeUrl without a leading slash", () => expectWholeBatchRejected([{ ...offer(0), relativeUrl: "target/offers/content" }]));
  it("method in lower case or OPTIONS", async () => {
    await expectWholeBatchRejected([{ ...offer(0), method: "post" }]);
    await expectWholeBatchRejected([{ ...offer(0), method: "OPTIONS" }]);
  });
  it("51 headers", () => expectWholeBatchRejected([{ ...offer(0), headers: Array.from({ length: 51 }, (_, i) => ({ name: `x-h${i}`, value: "v" })) }]));
  it("a header without a name", () => expectWholeBatchRejected([{ ...offer(0), headers: [{ value: "v" }] }]));
  it("placeholder to a GET operation", () =>
    expectWholeBatchRejected([{ operationId: 0, method: "GET", relativeUrl: "/target/offers" }, offer(1, "{operationIdResponse:0}", { dependsOnOperationIds: [0] })], "Batch.Reference.Invalid"));
  it("placeholder to an operation it does not (transitively) depend on", () => expectWholeBatchRejected([offer(0), offer(1), offer(2, "copy of {operationIdResponse:0}", { dependsOnOperationIds: [1] })], "Batch.Reference.Invalid"));
  it("placeholder to an unknown operation", () => expectWholeBatchRejected([offer(0), offer(1, "{operationIdResponse:7}", { dependsOnOperationIds: [0] })], "Batch.Reference.Invalid"));
  it("operations empty, missing, or a body that is not an object", async () => {
    await expectWholeBatchRejected([]);
    expect((await t.call("POST", "/acme/target/batch", { nope: 1 }, { "content-type": "application/json" })).status).toBe(400);
    expect((await t.call("POST", "/acme/target/batch", "[1,2]", { "content-type": "application/json" })).status).toBe(400);
    expect((await t.call("POST", "/acme/target/batch", "{bad json", { "content-type": "application/json" })).status).toBe(400);
  });
  it("a relativeUrl leaving the tenant (dot segments, encoded or not)", async () => {
    await expectWholeBatchRejected([{ ...offer(0), relativeUrl: "/../other/target/offers/content" }]);
    await expectWholeBatchRejected([{ ...offer(0), relativeUrl: "/target/%2E%2e/../other/target/offers/content" }]);
    expect((await t.call("GET", "/other/target/offers", undefined, { accept: V2 })).body.total).toBe(0);
  });
  it("a nested batch", () => expectWholeBatchRejected([{ operationId: 0, method: "POST", relativeUrl: "/target/batch", body: { operations: [] } }]));
  it("__proto__ keys anywhere in the batch", async () => {
    const raw = '{"operations":[{"operationId":0,"method":"POST","relativeUrl":"/target/offers/content","body":{"name":"x","content":"y","__proto__":{"polluted":1}}}]}';
    const res = await batch(raw);
    expect(res.status).toBe(400);
    expect(await offersTotal()).toBe(0);
  });
  it("lists every problem, each with meta.operationId", async () => {
    const res = await batch([offer(1, "a", { dependsOnOperationIds: [1] }), { ...offer(2), method: "get" }]);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.meta?.operationId).sort()).toEqual([1, 2]);
  });
  it("version other than v1 → 406; application/vnd.adobe.target.v1+json is accepted", async () => {
    expect((await batch([offer(0)], { "content-type": V3 })).status).toBe(406);
    expect((await batch([offer(0)], { "content-type": "application/vnd.adobe.target.v1+json" })).status).toBe(200);
  });
});

describe("Batch API: execution", () => {
  it("substitutes created ids in paths (URL) and bodies (raw id alone, text when embedded)", async () => {
    const res = await batch([
      offer(0, "first"),
      { operationId: 1, method: "PUT", relativeUrl: "/target/offers/content/{operationIdResponse:0}", dependsOnOperationIds: [0], headers: [{ name: "Content-Type", value: V2 }], body: { name: "copy of {operationIdResponse:0}", content: "x" } },
      { operationId: 2, method: "POST", relativeUrl: "/target/audiences", body: { name: "a", targetRule: { page: "url", contains: ["x"] } } },
      {
        operationId: 3,
        method: "POST",
        relativeUrl: "/target/activities/ab",
        dependsOnOperationIds: [1, 2],
        headers: [{ name: "content-type", value: V3 }],
        body: {
          name: "ab",
          locations: { mboxes: [{ locationLocalId: 0, name: "home", audienceIds: ["{operationIdResponse:2}"] }] },
          options: [{ optionLocalId: 1, offerId: "{operationIdResponse:0}" }],
          experiences: [{ experienceLocalId: 0, name: "A", visitorPercentage: 100, optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] }],
        },
      },
    ]);
    expect(res.status).toBe(200);
    const [r0, r1, r2, r3] = res.body.results;
    expect(r0).toMatchObject({ operationId: 0, skipped: false, statusCode: 201 });
    expect(typeof r0.body).toBe("string");
    const offerId = JSON.parse(r0.body).id;
    expect(r1.statusCode).toBe(200);
    expect(JSON.parse(r1.body)).toMatchObject({ id: offerId, name: `copy of ${offerId}` });
    expect(r2.statusCode).toBe(201);
    expect(r3.statusCode).toBe(201);
    const activity = JSON.parse(r3.body);
    expect(activity.options[0].offerId).toBe(offerId);
    expect(activity.locations.mboxes[0].audienceIds).toEqual([JSON.parse(r2.body).id]);
    expect(r0.headers).toContainEqual({ name: "content-type", value: expect.stringContaining("json") });
  });

  it("a failed operation skips its dependents transitively; independent ones run (400; skipped; skipped; executed)", async () => {
    const res = await batch([
      { operationId: 0, method: "POST", relativeUrl: "/target/offers/content", body: { name: "" } },
      offer(1, "a", { dependsOnOperationIds: [0] }),
      offer(2, "b", { dependsOnOperationIds: [1] }),
      offer(3, "independent"),
    ]);
    expect(res.status).toBe(200);
    const [r0, r1, r2, r3] = res.body.results;
    expect(r0).toMatchObject({ operationId: 0, skipped: false, statusCode: 400 });
    expect(JSON.parse(r0.body)).toMatchObject({ httpStatus: 400 });
    expect(r1).toEqual({ operationId: 1, skipped: true });
    expect(r2).toEqual({ operationId: 2, skipped: true });
    expect(r3).toMatchObject({ operationId: 3, skipped: false, statusCode: 201 });
    // What a failed batch leaves behind: every operation that succeeded stays (no rollback across operations).
    expect(await offersTotal()).toBe(1);
  });

  it("unknown route → that operation's 404 and its dependents skipped", async () => {
    const res = await batch([{ operationId: 0, method: "GET", relativeUrl: "/target/nope" }, { operationId: 1, method: "GET", relativeUrl: "/target/offers", dependsOnOperationIds: [0] }]);
    expect(res.body.results).toEqual([expect.objectContaining({ operationId: 0, statusCode: 404 }), { operationId: 1, skipped: true }]);
  });

  it("results in ascending operationId whatever the request order", async () => {
    const res = await batch([offer(9), offer(2), offer(5, "x", { dependsOnOperationIds: [9] })]);
    expect(res.body.results.map((r: any) => r.operationId)).toEqual([2, 5, 9]);
  });

  it("an invalid body fails only that operation (the batch is 200)", async () => {
    const res = await batch([{ operationId: 0, method: "POST", relativeUrl: "/target/audiences", body: { name: "x", targetRule: { nope: 1 } } }, offer(1)]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.statusCode)).toEqual([400, 201]);
  });

  it("headers: case-insensitive, the later duplicate wins, default content type application/json (v1)", async () => {
    const json = { operationId: 0, method: "POST", relativeUrl: "/target/offers/json", body: { name: "j", content: { a: 1 } } };
    const res = await batch([
      { ...json, operationId: 0 },
      { ...json, operationId: 1, headers: [{ name: "Content-Type", value: "application/json" }, { name: "content-type", value: V2 }] },
      { ...json, operationId: 2, headers: [{ name: "Content-Type", value: V2 }, { name: "content-type", value: "application/json" }] },
    ]);
    expect(res.body.results.map((r: any) => r.statusCode)).toEqual([406, 201, 406]);
  });

  it("GET with a body: the body is ignored", async () => {
    const res = await batch([{ operationId: 0, method: "GET", relativeUrl: "/target/environments", body: { anything: "{operationIdResponse:0}" } }]);
    expect(res.body.results[0].statusCode).toBe(200);
  });

  it("query strings in relativeUrl are passed on", async () => {
    await batch([offer(0), offer(1), offer(2)]);
    const res = await batch([{ operationId: 0, method: "GET", relativeUrl: "/target/offers?limit=1&offset=1" }]);
    expect(JSON.parse(res.body.results[0].body)).toMatchObject({ total: 3, limit: 1, offset: 1 });
  });

  it("the batch's Authorization is copied to every operation unless overridden", async () => {
    const res = await batch([offer(0), { ...offer(1), headers: [{ name: "Authorization", value: "Bearer wrong" }] }]);
    expect(res.body.results.map((r: any) => r.statusCode)).toEqual([201, 401]);
    expect((await t.call("POST", "/acme/target/batch", { operations: [offer(0)] }, { authorization: "Bearer nope", "content-type": "application/json" })).status).toBe(401);
  });

  it("a referenced POST that answered without an id → the dependent gets 400 without dispatch", async () => {
    const res = await batch([
      { operationId: 0, method: "POST", relativeUrl: "/target/responsetokens", body: { name: "profile.x" } },
      { operationId: 1, method: "POST", relativeUrl: "/target/offers/content", dependsOnOperationIds: [0], body: { name: "{operationIdResponse:0}", content: "c" } },
    ]);
    expect(res.body.results[0].statusCode).toBe(201);
    expect(res.body.results[1]).toMatchObject({ skipped: false, statusCode: 400 });
    expect(await offersTotal()).toBe(0);
  });

  it("independent operations run concurrently (a burst of 100 creates distinct ids)", async () => {
    const res = await batch(Array.from({ length: 100 }, (_, i) => offer(i)));
    const ids = res.body.results.map((r: any) => JSON.parse(r.body).id);
    expect(new Set(ids).size).toBe(100);
    expect(await offersTotal()).toBe(100);
  });

  it("a malformed placeholder is literal text", async () => {
    const res = await batch([offer(0, "{operationIdResponse:x}")]);
    expect(JSON.parse(res.body.results[0].body).name).toBe("{operationIdResponse:x}");
  });
});
