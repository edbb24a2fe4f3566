/**
 * The XCore repository contract: every behaviour of the repository API over real HTTP, run against
 * SQLite always and PostgreSQL when ODD_TEST_POSTGRES_URL is set (each run in its own schema).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testStores, type TestStore } from "../../src/storage/testing";
import {
  CONTAINER_SCHEMA,
  HTML_COMPONENT,
  OM,
  PATCH_TYPE,
  XCORE,
  create,
  createContainer,
  hal,
  offer,
  placement,
  startHarness,
  type Harness,
} from "./support";

const stores: TestStore[] = await testStores();
afterAll(() => Promise.all(stores.map((s) => s.dispose())));

for (const store of stores) {
  describe(`XCore repository on ${store.name}`, () => {
    let h: Harness;
    let c: string;
    let place: any;
    beforeAll(async () => {
      h = await startHarness(store.url);
      c = await createContainer(h);
      place = await create(h, c, "offer-placement", placement("web text"));
    });
    afterAll(() => h.close());

    describe("containers and home", () => {
      it("creates a container: 201, Location /containers/{id}, receipt instanceId", async () => {
        const reply = await h.call("POST", "/containers", {
          body: { productContexts: ["dma_offers"], _instance: { "repo:name": "other", parentName: "sandbox1" }, _links: {} },
          contentType: hal(CONTAINER_SCHEMA),
        });
        expect(reply.status).toBe(201);
        expect(reply.headers.get("location")).toBe(`/containers/${reply.body.instanceId}`);
        const read = await h.call("GET", `/containers/${reply.body.instanceId}`);
        expect(read.status).toBe(200);
        expect(read.body.productContexts).toEqual(["dma_offers"]);
        expect(read.body._links.self.href).toBe(`/containers/${reply.body.instanceId}`);
      });

      it("lists containers in home with product (union) and property filters", async () => {
        const all = await h.call("GET", "/");
        expect(all.status).toBe(200);
        const list = all.body._embedded[CONTAINER_SCHEMA];
        expect(list.map((x: any) => x.instanceId)).toContain(c);
        const acp = await h.call("GET", "/?product=acp");
        expect(acp.body._embedded[CONTAINER_SCHEMA].every((x: any) => x.productContexts.includes("acp"))).toBe(true);
        const union = await h.call("GET", "/?product=acp&product=dma_offers");
        expect(union.body._embedded[CONTAINER_SCHEMA].length).toBeGreaterThanOrEqual(2);
        const sandbox = await h.call("GET", "/?property=_instance.parentName==sandbox1");
        expect(sandbox.body._embedded[CONTAINER_SCHEMA].map((x: any) => x._instance["repo:name"])).toEqual(["other"]);
      });
    });

    describe("auth and headers", () => {
      it("needs the bearer token (401 with a code) and echoes x-request-id", async () => {
        const none = await h.call("GET", "/", { token: null, headers: { "x-request-id": "req-42" } });
        expect(none.status).toBe(401);
        expect(none.body.code).toBe("ODE_ERR_UNAUTHORIZED");
        expect(none.headers.get("x-request-id")).toBe("req-42");
        expect((await h.call("GET", "/", { token: "wrong-token-xyz" })).status).toBe(401);
        const ok = await h.call("GET", "/", {
          headers: { "x-request-id": "abc", "x-api-key": "k", "x-gw-ims-org-id": "o@AdobeOrg", "x-sandbox-name": "prod" },
        });
        expect(ok.status).toBe(200);
        expect(ok.headers.get("x-request-id")).toBe("abc");
      });

      it("keeps the Delivery API open", async () => {
        const reply = await fetch(`${h.service.url}/health`);
        expect(reply.status).toBe(200);
      });
    });

    describe("media types", () => {
      it("refuses a non-JSON Content-Type with 415 and an Accept without JSON with 406", async () => {
        const wrong = await h.call("POST", `/${c}/instances`, { body: "<x/>", contentType: "application/xml" });
        expect(wrong.status).toBe(415);
        expect(wrong.body.code).toBe("ODE_ERR_REPO_UNSUPPORTED_MEDIA_TYPE");
        const accept = await h.call("GET", `/${c}/instances`, { headers: { accept: "text/html" } });
        expect(accept.status).toBe(406);
        expect((await h.call("GET", `/${c}/instances`, { headers: { accept: `*, ${XCORE}.hal+json` } })).status).toBe(200);
        expect((await h.call("GET", `/${c}/instances`, { headers: { accept: "*/*" } })).status).toBe(200);
      });

      it("accepts the legacy spelling and a versioned schema id", async () => {
        const reply = await h.call("POST", `/${c}/instances`, {
          body: { _instance: { "xdm:name": "legacy" }, _links: {} },
          contentType: `application/schema-instance+json; version=1; schema="${OM}/tag;version=0.1"`,
        });
        expect(reply.status).toBe(201);
        const read = await h.call("GET", `/${c}/instances/${reply.body.instanceId}`);
        expect(read.body.schemas).toEqual([`${OM}/tag;version=0.1`]);
        const listed = await h.call("GET", `/${c}/instances?schema=${encodeURIComponent(`${OM}/tag`)}&property=_instance.xdm:name==legacy`);
        expect(listed.body._embedded.total).toBe(1);
        // The documentation's curl examples quote the schema in the query: schema="…".
        const quoted = await h.call("GET", `/${c}/instances?schema="${OM}/tag"&property=_instance.xdm:name==legacy`);
        expect(quoted.body._embedded.total).toBe(1);
        expect(quoted.body.schemaNs).toBe(`${OM}/tag`);
      });

      it("answers 400 schema-unknown for an unknown or missing schema", async () => {
        const unknown = await h.call("POST", `/${c}/instances`, {
          body: { _instance: { "xdm:name": "x" }, _links: {} },
          contentType: hal(`${OM}/nope`),
        });
        expect(unknown.status).toBe(400);
        expect(unknown.body.code).toBe("ODE_ERR_REPO_SCHEMA_UNKNOWN");
        const missing = await h.call("POST", `/${c}/instances`, { body: { _instance: { "xdm:name": "x" }, _links: {} } });
        expect(missing.status).toBe(400);
        expect(missing.body.code).toBe("ODE_ERR_REPO_SCHEMA_UNKNOWN");
      });
    });

    describe("create and read", () => {
      it("creates: 201, receipt, Location, Content-Base, ETag, generated @id replacing the client's", async () => {
        const reply = await h.call("POST", `/${c}/instances`, {
          body: { _instance: { "@id": "xcore:tag:client", "xdm:name": "summer" }, _links: {} },
          contentType: hal(`${OM}/tag`),
        });
        expect(reply.status).toBe(201);
        const r = reply.body;
        expect(r["@id"]).toMatch(/^xcore:tag:[0-9a-f]{16}$/);
        expect(r["repo:etag"]).toBe(1);
        for (const key of ["repo:createdDate", "repo:lastModifiedDate", "repo:createdBy", "repo:lastModifiedBy", "repo:createdByClientId", "repo:lastModifiedByClientId"]) {
          expect(r).toHaveProperty([key]);
        }
        expect(r["repo:createdDate"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(reply.headers.get("location")).toBe(`/${c}/instances/${r.instanceId}`);
        expect(reply.headers.get("content-base")).toBe(h.base);
        expect(reply.headers.get("etag")).toBe('"1"');
        const read = await h.call("GET", `/${c}/instances/${r.instanceId}`);
        expect(read.status).toBe(200);
        expect(read.body._instance).toEqual({ "@id": r["@id"], "xdm:name": "summer" });
        expect(read.body._links.self).toEqual({ name: `${OM}/tag#${r.instanceId}`, href: `/${c}/instances/${r.instanceId}`, "@type": `${OM}/tag` });
        expect(read.body.productContexts).toEqual(["acp"]);
      });

      it("needs _instance and _links (400) and a valid instance (400 with report)", async () => {
        const noLinks = await h.call("POST", `/${c}/instances`, { body: { _instance: { "xdm:name": "a" } }, contentType: hal(`${OM}/tag`) });
        expect(noLinks.status).toBe(400);
        const invalid = await h.call("POST", `/${c}/instances`, {
          body: { _instance: { "xdm:name": "o", "xdm:status": "bogus" }, _links: {} },
          contentType: hal(`${OM}/personalized-offer`),
        });
        expect(invalid.status).toBe(400);
        expect(invalid.body.code).toBe("ODE_ERR_REPO_VALIDATION");
        expect(invalid.body.report.length).toBeGreaterThan(0);
        expect(invalid.headers.get("content-type")).toContain("application/problem+json");
        const fallbackWithRank = await h.call("POST", `/${c}/instances`, {
          body: { _instance: { ...offer("fb", place["@id"]) }, _links: {} },
          contentType: hal(`${OM}/fallback-offer`),
        });
        expect(fallbackWithRank.status).toBe(400);
      });

      it("answers 404 for unknown containers, instances, and instances read through another container", async () => {
        expect((await h.call("POST", "/nope/instances", { body: { _instance: {}, _links: {} }, contentType: hal(`${OM}/tag`) })).status).toBe(404);
        expect((await h.call("GET", `/${c}/instances/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
        const other = await createContainer(h, "c-other");
        const tag = await create(h, c, "tag", { "xdm:name": "only-in-c" });
        expect((await h.call("GET", `/${other}/instances/${tag.instanceId}`)).status).toBe(404);
      });

      it("answers 304 to If-None-Match with the current etag (quoted, unquoted, weak, *)", async () => {
        const tag = await create(h, c, "tag", { "xdm:name": "cond" });
        for (const value of ['"1"', "1", 'W/"1"', "*"]) {
          const reply = await h.call("GET", `/${c}/instances/${tag.instanceId}`, { headers: { "if-none-match": value } });
          expect(reply.status, value).toBe(304);
          expect(reply.text).toBe("");
        }
        expect((await h.call("GET", `/${c}/instances/${tag.instanceId}`, { headers: { "if-none-match": '"7"' } })).status).toBe(200);
      });
    });

    describe("update, patch, annotations, concurrency", () => {
      it("PUT replaces, keeps an omitted @id, bumps the etag; changing @id is 422", async () => {
        const tag = await create(h, c, "tag", { "xdm:name": "put-me" });
        const put = await h.call("PUT", `/${c}/instances/${tag.instanceId}`, {
          body: { _instance: { "xdm:name": "put-done" }, _links: {} },
          contentType: hal(`${OM}/tag`),
        });
        expect(put.status).toBe(200);
        expect(put.body["repo:etag"]).toBe(2);
        expect(put.body["@id"]).toBe(tag["@id"]);
        const changed = await h.call("PUT", `/${c}/instances/${tag.instanceId}`, {
          body: { _instance: { "@id": "xcore:tag:0000000000000000", "xdm:name": "x" }, _links: {} },
          contentType: hal(`${OM}/tag`),
        });
        expect(changed.status).toBe(422);
        expect(changed.body.code).toBe("ODE_ERR_REPO_READ_ONLY_PROPERTY");
        const invalid = await h.call("PUT", `/${c}/instances/${tag.instanceId}`, { body: { _instance: {}, _links: {} }, contentType: hal(`${OM}/tag`) });
        expect(invalid.status).toBe(400);
      });

      it("If-Match: a stale etag is 409, the current one or * passes, missing instance is 404", async () => {
        const tag = await create(h, c, "tag", { "xdm:name": "match" });
        const path = `/${c}/instances/${tag.instanceId}`;
        const patch = [{ op: "replace", path: "/_instance/xdm:name", value: "m2" }];
        const stale = await h.call("PATCH", path, { body: patch, contentType: PATCH_TYPE, headers: { "if-match": '"5"' } });
        expect(stale.status).toBe(409);
        expect(stale.body.code).toBe("ODE_ERR_REPO_PRECONDITION");
        expect((await h.call("PATCH", path, { body: patch, contentType: PATCH_TYPE, headers: { "if-match": '"1"' } })).status).toBe(200);
        expect((await h.call("PATCH", path, { body: patch, contentType: PATCH_TYPE, headers: { "if-match": "*" } })).status).toBe(200);
        const missing = await h.call("PATCH", `/${c}/instances/nope`, { body: patch, contentType: PATCH_TYPE, headers: { "if-match": '"1"' } });
        expect(missing.status).toBe(404);
      });

      it("PATCH applies add/replace/remove/move/copy/test atomically", async () => {
        const o = await create(h, c, "personalized-offer", offer("patchable", place["@id"], { "xdm:tags": [] }));
        const path = `/${c}/instances/${o.instanceId}`;
        const tag = await create(h, c, "tag", { "xdm:name": "p-tag" });
        const ok = await h.call("PATCH", path, {
          contentType: PATCH_TYPE,
          body: [
            { op: "test", path: "/_instance/xdm:name", value: "patchable" },
            { op: "add", path: "/_instance/xdm:tags/-", value: tag["@id"] },
            { op: "replace", path: "/_instance/xdm:rank/xdm:priority", value: 7 },
            { op: "copy", from: "/_instance/xdm:name", path: "/_instance/xdm:characteristics" },
            { op: "remove", path: "/_instance/xdm:characteristics" },
          ],
        });
        expect(ok.status, ok.text).toBe(200);
        expect(ok.body["repo:etag"]).toBe(2);
        const read = await h.call("GET", path);
        expect(read.body._instance["xdm:tags"]).toEqual([tag["@id"]]);
        expect(read.body._instance["xdm:rank"]["xdm:priority"]).toBe(7);
        const failing = await h.call("PATCH", path, {
          contentType: PATCH_TYPE,
          body: [
            { op: "replace", path: "/_instance/xdm:name", value: "changed" },
            { op: "test", path: "/_instance/xdm:rank/xdm:priority", value: 1 },
          ],
        });
        expect(failing.status).toBe(422);
        expect(failing.body.code).toBe("ODE_ERR_REPO_PATCH_FAILED");
        const after = await h.call("GET", path);
        expect(after.body._instance["xdm:name"]).toBe("patchable");
        expect(after.body["repo:etag"]).toBe(2);
      });

      it("PATCH: add to a missing array, outside paths and envelope paths are 422; malformed is 400; wrong type 415", async () => {
        const o = await create(h, c, "personalized-offer", offer("p2", place["@id"]));
        const path = `/${c}/instances/${o.instanceId}`;
        const send = (body: unknown, contentType = PATCH_TYPE) => h.call("PATCH", path, { body, contentType });
        expect((await send([{ op: "add", path: "/_instance/xdm:tags/-", value: "xcore:tag:1" }])).status).toBe(422);
        expect((await send([{ op: "replace", path: "/repo:etag", value: 9 }])).status).toBe(422);
        expect((await send([{ op: "replace", path: "/instanceId", value: "x" }])).status).toBe(422);
        expect((await send([{ op: "remove", path: "/_instance/xdm:representations/5" }])).status).toBe(422);
        expect((await send({ op: "add" })).status).toBe(400);
        expect((await send([{ op: "frobnicate", path: "/_instance/a" }])).status).toBe(400);
        expect((await send([{ op: "add", path: "/_instance/a" }])).status).toBe(400);
        expect((await send([{ path: "/_instance/a", value: 1 }])).status).toBe(400);
        expect((await send([{ op: "replace", path: "/_instance/xdm:name", value: "x" }], "text/plain")).status).toBe(415);
        expect((await send([{ op: "replace", path: "/_instance/xdm:status", value: "nope" }])).status).toBe(400);
        expect((await send([{ op: "remove", path: "/_instance/@id" }])).status).toBe(422);
        expect((await h.call("GET", path)).body["repo:etag"]).toBe(1);
      });

      it("meta:immutable component repo:id may be set once, never changed or removed", async () => {
        const o = await create(h, c, "personalized-offer", offer("asset", place["@id"]));
        const path = `/${c}/instances/${o.instanceId}`;
        const pointer = "/_instance/xdm:representations/0/xdm:components/0/repo:id";
        const send = (op: object) => h.call("PATCH", path, { body: [op], contentType: PATCH_TYPE });
        expect((await send({ op: "add", path: pointer, value: "urn:aaid:1" })).status).toBe(200);
        expect((await send({ op: "replace", path: pointer, value: "urn:aaid:2" })).status).toBe(422);
        expect((await send({ op: "remove", path: pointer })).status).toBe(422);
        expect((await send({ op: "replace", path: "/_instance/xdm:representations/0/xdm:components/0/dc:format", value: "text/html" })).status).toBe(200);
      });
    });

    describe("entity rules", () => {
      it("rejects dangling or mistyped references with 422 and accepts the dps: prefix", async () => {
        const dangling = await h.call("POST", `/${c}/instances`, {
          body: { _instance: offer("dangling", "xcore:offer-placement:ffffffffffffffff"), _links: {} },
          contentType: hal(`${OM}/personalized-offer`),
        });
        expect(dangling.status).toBe(422);
        expect(dangling.body.code).toBe("ODE_ERR_REPO_RULE_VIOLATION");
        const tag = await create(h, c, "tag", { "xdm:name": "not-a-placement" });
        const mistyped = await h.call("POST", `/${c}/instances`, {
          body: { _instance: offer("mistyped", tag["@id"]), _links: {} },
          contentType: hal(`${OM}/personalized-offer`),
        });
        expect(mistyped.status).toBe(422);
        const dps = (place["@id"] as string).replace(/^xcore:/, "dps:");
        await create(h, c, "personalized-offer", offer("via-dps", dps));
      });

      it("rejects two representations for one placement, start after end, duplicate tag names", async () => {
        const twice = offer("twice", place["@id"]);
        (twice["xdm:representations"] as unknown[]).push((twice["xdm:representations"] as unknown[])[0]);
        const dup = await h.call("POST", `/${c}/instances`, { body: { _instance: twice, _links: {} }, contentType: hal(`${OM}/personalized-offer`) });
        expect(dup.status).toBe(422);
        const dates = offer("dates", place["@id"], {
          "xdm:selectionConstraint": { "xdm:startDate": "2024-02-01T00:00:00Z", "xdm:endDate": "2024-01-01T00:00:00Z" },
        });
        expect((await h.call("POST", `/${c}/instances`, { body: { _instance: dates, _links: {} }, contentType: hal(`${OM}/personalized-offer`) })).status).toBe(422);
        await create(h, c, "tag", { "xdm:name": "unique-name" });
        const again = await h.call("POST", `/${c}/instances`, { body: { _instance: { "xdm:name": "unique-name" }, _links: {} }, contentType: hal(`${OM}/tag`) });
        expect(again.status).toBe(422);
      });

      it("an activity's fallback needs a representation for the activity's placement", async () => {
        const other = await create(h, c, "offer-placement", { ...placement("html slot"), "xdm:componentType": HTML_COMPONENT });
        const fallback = await create(h, c, "fallback-offer", { "xdm:name": "fb", "xdm:status": "approved", "xdm:representations": (offer("fb", place["@id"])["xdm:representations"]) });
        const filter = await create(h, c, "offer-filter", { "xdm:name": "all", "xdm:filterType": "offers", ids: [] });
        const activity = (p: string) => ({ "xdm:name": "act", "xdm:status": "live", "xdm:placement": p, "xdm:filter": filter["@id"], "xdm:fallback": fallback["@id"] });
        await create(h, c, "offer-activity", activity(place["@id"]));
        const bad = await h.call("POST", `/${c}/instances`, { body: { _instance: activity(other["@id"]), _links: {} }, contentType: hal(`${OM}/offer-activity`) });
        expect(bad.status).toBe(422);
      });
    });

    describe("delete and referential integrity", () => {
      it("refuses to delete a referenced instance (409 referencedBy), deletes an unreferenced one", async () => {
        const totals = async () => {
          const reply = await h.call("GET", `/${c}/instances?schema=${encodeURIComponent(`${OM}/tag`)}&limit=100`);
          const all = await h.call("GET", `/${c}/instances?limit=1`);
          return [reply.body._embedded.total, reply.body._embedded.results.length, all.body._embedded.total];
        };
        const before = await totals();
        expect(before[0]).toBe(before[1]);
        const tag = await create(h, c, "tag", { "xdm:name": "in-use" });
        const o = await create(h, c, "personalized-offer", offer("tagged", place["@id"], { "xdm:tags": [tag["@id"]] }));
        expect(await totals()).toEqual([before[0] + 1, before[1] + 1, before[2] + 2]);
        const blocked = await h.call("DELETE", `/${c}/instances/${tag.instanceId}`);
        expect(blocked.status).toBe(409);
        expect(blocked.body.code).toBe("ODE_ERR_REPO_REFERENCED");
        expect(blocked.body.referencedBy).toEqual([{ instanceId: o.instanceId, "@id": o["@id"], schema: `${OM}/personalized-offer` }]);
        expect((await h.call("DELETE", `/${c}/instances/${o.instanceId}`, { headers: { "if-match": '"9"' } })).status).toBe(409);
        const gone = await h.call("DELETE", `/${c}/instances/${o.instanceId}`);
        expect(gone.status).toBe(200);
        expect(gone.body["repo:etag"]).toBe(1);
        expect((await h.call("GET", `/${c}/instances/${o.instanceId}`)).status).toBe(404);
        expect((await h.call("DELETE", `/${c}/instances/${tag.instanceId}`)).status).toBe(200);
        expect((await h.call("DELETE", `/${c}/instances/${tag.instanceId}`)).status).toBe(404);
        expect(await totals()).toEqual(before);
      });
    });

    describe("lists, paging and filters", () => {
      let lc: string;
      const names = ["delta", "alpha", "Charlie", "bravo", "echo", "foxtrot", "golf"];
      beforeAll(async () => {
        lc = await createContainer(h, "lists");
        const p = await create(h, lc, "offer-placement", placement("p"));
        const t1 = await create(h, lc, "tag", { "xdm:name": "t1" });
        for (const [i, name] of names.entries()) {
          await create(h, lc, "personalized-offer", offer(name, p["@id"], {
            "xdm:rank": { "xdm:priority": i },
            "xdm:tags": i % 2 === 0 ? [t1["@id"]] : [],
            "xdm:selectionConstraint": { "xdm:startDate": `2024-0${1 + (i % 9)}-01T00:00:00.000Z` },
          }));
        }
      });
      const list = (query: string) => h.call("GET", `/${lc}/instances?schema=${encodeURIComponent(`${OM}/personalized-offer`)}&${query}`);

      it("pages through every item with next links; total counts from the page on", async () => {
        const seen: string[] = [];
        let reply = await list("limit=3&orderBy=_instance.xdm:name");
        expect(reply.body._embedded.total).toBe(7);
        expect(reply.body.schemaNs).toBe(`${OM}/personalized-offer`);
        const totals: number[] = [];
        for (;;) {
          expect(reply.status).toBe(200);
          totals.push(reply.body._embedded.total);
          seen.push(...reply.body._embedded.results.map((r: any) => r._instance["xdm:name"]));
          expect(reply.body._embedded.count).toBe(reply.body._embedded.results.length);
          const next = reply.body._links.next?.href;
          if (!next) break;
          expect(next).toContain("orderby=_instance.xdm%3Aname%2CinstanceId");
          reply = await h.call("GET", next);
        }
        expect(seen).toEqual(["Charlie", "alpha", "bravo", "delta", "echo", "foxtrot", "golf"]);
        expect(totals).toEqual([7, 4, 1]);
      });

      it("orders descending, by numbers and by dates; default is instanceId", async () => {
        const desc = await list("orderBy=-_instance.xdm:rank.xdm:priority&limit=2");
        expect(desc.body._embedded.results.map((r: any) => r._instance["xdm:name"])).toEqual(["golf", "foxtrot"]);
        const byDefault = await list("limit=100");
        const ids = byDefault.body._embedded.results.map((r: any) => r.instanceId);
        expect(ids).toEqual([...ids].sort());
        let created = await list("orderby=-repo:createdDate&limit=4");
        const order: string[] = created.body._embedded.results.map((r: any) => r._instance["xdm:name"]);
        created = await h.call("GET", created.body._links.next.href);
        order.push(...created.body._embedded.results.map((r: any) => r._instance["xdm:name"]));
        expect(order).toEqual([...names].reverse());
      });

      it("clamps limit to 100 and rejects a limit below 1 or not an integer", async () => {
        expect((await list("limit=1000")).status).toBe(200);
        for (const bad of ["0", "-1", "abc", "1.5"]) {
          const reply = await list(`limit=${bad}`);
          expect(reply.status, bad).toBe(400);
          expect(reply.body.code).toBe("ODE_ERR_REPO_INVALID_QUERY");
        }
        expect((await list("start=1,2,3")).status).toBe(400);
      });

      it("filters with ==, !=, <, >=, ~ (whole value, case-insensitive), bare paths, arrays, dates", async () => {
        const names = async (q: string) => (await list(`limit=100&orderBy=_instance.xdm:name&${q}`)).body._embedded.results.map((r: any) => r._instance["xdm:name"]);
        expect(await names("property=_instance.xdm:name==alpha")).toEqual(["alpha"]);
        expect(await names("property=_instance.xdm:name!=alpha")).toHaveLength(6);
        expect(await names("property=_instance.xdm:rank.xdm:priority<2")).toEqual(["alpha", "delta"]);
        expect(await names("property=_instance.xdm:rank.xdm:priority>=5")).toEqual(["foxtrot", "golf"]);
        expect(await names("property=_instance.xdm:name~" + encodeURIComponent(".*HAR.*"))).toEqual(["Charlie"]);
        expect(await names("property=_instance.xdm:name~char")).toEqual([]);
        expect(await names("property=_instance.xdm:name~charlie")).toEqual(["Charlie"]);
        expect(await names("property=_instance.xdm:nothing")).toEqual([]);
        expect(await names("property=_instance.xdm:nothing!=x")).toEqual([]);
        expect(await names("property=_instance.xdm:selectionConstraint.xdm:startDate>=2024-06-01T00:00:00Z")).toEqual(["foxtrot", "golf"]);
        expect(await names("property=_instance.xdm:rank.xdm:priority>=1&property=_instance.xdm:rank.xdm:priority<=2")).toEqual(["Charlie", "alpha"]);
        const tags = (await list("limit=100")).body._embedded.results.find((r: any) => r._instance["xdm:tags"].length > 0)._instance["xdm:tags"][0];
        expect(await names(`property=_instance.xdm:tags==${encodeURIComponent(tags)}`)).toHaveLength(4);
        expect((await list("property=_instance.xdm:rank.xdm:priority<abc")).status).toBe(400);
        expect((await list("property=_instance.xdm:name=alpha")).status).toBe(400);
        expect((await list("property=.x==1")).status).toBe(400);
        expect((await list(`property=_instance.xdm:name~${encodeURIComponent("(a")}`)).status).toBe(400);
      });

      it("a hostile ~ pattern answers quickly", async () => {
        const started = Date.now();
        const reply = await list(`property=_instance.xdm:name~${encodeURIComponent("(a+)+$")}`);
        expect(reply.status).toBe(200);
        expect(Date.now() - started).toBeLessThan(5000);
      });

      it("id= keeps the listed @ids (union), either prefix", async () => {
        const all = (await list("limit=100")).body._embedded.results;
        const [a, b] = [all[0]._instance["@id"], all[1]._instance["@id"].replace(/^xcore:/, "dps:")];
        const reply = await list(`id=${encodeURIComponent(a)}&id=${encodeURIComponent(b)}`);
        expect(reply.body._embedded.total).toBe(2);
      });
    });

    describe("full-text search", () => {
      let sc: string;
      beforeAll(async () => {
        sc = await createContainer(h, "search");
        const p = await create(h, sc, "offer-placement", placement("p"));
        await create(h, sc, "personalized-offer", offer("E-Bike deal", p["@id"]));
        await create(h, sc, "personalized-offer", offer("Gold cars discount", p["@id"], { "xdm:characteristics": { note: "bike week" } }));
        await create(h, sc, "personalized-offer", offer("Silver plan", p["@id"]));
      });
      const search = async (query: string) => {
        const reply = await h.call("GET", `/${sc}/queries/core/search?schema=${encodeURIComponent(`${OM}/personalized-offer`)}&orderBy=_instance.xdm:name&${query}`);
        expect(reply.status, reply.text).toBe(200);
        return reply.body._embedded.results.map((r: any) => r._instance["xdm:name"]);
      };

      it("matches terms (or by default, and with qop), phrases, escapes and fields", async () => {
        expect(await search("q=gold")).toEqual(["Gold cars discount"]);
        expect(await search("q=bike")).toEqual(["E-Bike deal", "Gold cars discount"]);
        expect(await search("q=gold+silver")).toEqual(["Gold cars discount", "Silver plan"]);
        expect(await search("q=gold+silver&qop=AND")).toEqual([]);
        expect(await search("q=bike+deal&qop=and")).toEqual(["E-Bike deal"]);
        expect(await search(`q=${encodeURIComponent("e\\-bike")}`)).toEqual(["E-Bike deal"]);
        expect(await search(`q=${encodeURIComponent('"cars discount"')}`)).toEqual(["Gold cars discount"]);
        expect(await search(`q=${encodeURIComponent('"discount cars"')}`)).toEqual([]);
        expect(await search("q=bike&field=_instance.xdm:name")).toEqual(["E-Bike deal"]);
        expect(await search("q=")).toHaveLength(3);
        const bad = await h.call("GET", `/${sc}/queries/core/search?q=x&qop=xor`);
        expect(bad.status).toBe(400);
      });
    });

    describe("bad input stores nothing", () => {
      it("refuses malformed JSON, deep nesting, forbidden keys, oversized bodies, wrong types", async () => {
        const bc = await createContainer(h, "bad");
        const post = (body: string, contentType = hal(`${OM}/tag`)) => h.call("POST", `/${bc}/instances`, { body, contentType });
        const cases: Array<[string, number]> = [
          ["{not json", 400],
          [`{"_instance": {"xdm:name": "x", "__proto__": {"polluted": true}}, "_links": {}}`, 400],
          [`{"_instance": {"xdm:name": "x", "constructor": {"prototype": {"p": 1}}}, "_links": {}}`, 400],
          [`{"_instance": ${"[".repeat(500)}${"]".repeat(500)}, "_links": {}}`, 400],
          [`{"_instance": {"xdm:name": 42}, "_links": {}}`, 400],
          ["[]", 400],
          [JSON.stringify({ _instance: { "xdm:name": "x".repeat(2 * 1024 * 1024) }, _links: {} }), 413],
        ];
        for (const [body, status] of cases) {
          const reply = await post(body);
          expect(reply.status, body.slice(0, 60)).toBe(status);
          expect(reply.body.code).toMatch(/^ODE_ERR_/);
        }
        expect((await post(`{"_instance": {"xdm:name": "x"}, "_links": {}}`, "text/plain")).status).toBe(415);
        expect(({} as any).polluted).toBeUndefined();
        const listed = await h.call("GET", `/${bc}/instances`);
        expect(listed.body._embedded.total).toBe(0);
      });
    });
  });
}
