/**
 * Repository options: async deletes with operation polling, custom schemas (`--schema`), and the
 * change feed / catalogue reads the decision runtime builds on. SQLite always, PostgreSQL when set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testStores, type TestStore } from "../../src/storage/testing";
import { OM, create, createContainer, hal, offer, placement, startHarness, type Harness } from "./support";

const stores: TestStore[] = await testStores();
afterAll(() => Promise.all(stores.map((s) => s.dispose())));

const GOLD_SCHEMA = "https://example.com/schemas/gold-offer";
const goldOffer = {
  $id: GOLD_SCHEMA,
  "meta:extends": `${OM}/personalized-offer`,
  type: "object",
  required: ["xdm:characteristics"],
  properties: { "xdm:characteristics": { type: "object", required: ["tier"], properties: { tier: { const: "gold" } } } },
};

for (const store of stores) {
  describe(`repository modes on ${store.name}`, () => {
    let h: Harness;
    let c: string;
    let place: any;
    beforeAll(async () => {
      h = await startHarness(store.url, { deleteMode: "async", deletePendingPolls: 2, schemas: [goldOffer] });
      c = await createContainer(h);
      place = await create(h, c, "offer-placement", placement("p"));
    });
    afterAll(() => h.close());

    it("async delete: 202 + Location, pending for N polls, then 200 deleted", async () => {
      const tag = await create(h, c, "tag", { "xdm:name": "async" });
      const del = await h.call("DELETE", `/${c}/instances/${tag.instanceId}`);
      expect(del.status).toBe(202);
      const location = del.headers.get("location")!;
      expect(location).toMatch(new RegExp(`^/${c}/operations/[0-9a-f-]+$`));
      for (let i = 0; i < 2; i++) {
        const poll = await h.call("GET", location);
        expect(poll.status).toBe(202);
        expect(poll.headers.get("location")).toBe(location);
        expect((await h.call("GET", `/${c}/instances/${tag.instanceId}`)).status).toBe(200);
      }
      const done = await h.call("GET", location);
      expect(done.status).toBe(200);
      expect(done.body.status).toBe("deleted");
      expect((await h.call("GET", location)).body.status).toBe("deleted");
      expect((await h.call("GET", `/${c}/instances/${tag.instanceId}`)).status).toBe(404);
      expect((await h.call("GET", `/${c}/operations/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    });

    it("async delete of a referenced instance is decided as rejected with referencedBy", async () => {
      const tag = await create(h, c, "tag", { "xdm:name": "kept" });
      const o = await create(h, c, "personalized-offer", offer("uses tag", place["@id"], { "xdm:tags": [tag["@id"]] }));
      const del = await h.call("DELETE", `/${c}/instances/${tag.instanceId}`);
      const location = del.headers.get("location")!;
      await h.call("GET", location);
      await h.call("GET", location);
      const done = await h.call("GET", location);
      expect(done.status).toBe(200);
      expect(done.body).toEqual({ status: "rejected", referencedBy: [{ instanceId: o.instanceId, "@id": o["@id"], schema: `${OM}/personalized-offer` }] });
      expect((await h.call("GET", `/${c}/instances/${tag.instanceId}`)).status).toBe(200);
    });

    it("an instance valid for a custom schema appears in both schemas' lists", async () => {
      const gold = await create(h, c, "personalized-offer", offer("gold one", place["@id"], { "xdm:characteristics": { tier: "gold" } }));
      const plain = await create(h, c, "personalized-offer", offer("plain one", place["@id"]));
      const viaCustom = await h.call("POST", `/${c}/instances`, {
        body: { _instance: offer("gold two", place["@id"], { "xdm:characteristics": { tier: "gold" } }), _links: {} },
        contentType: hal(GOLD_SCHEMA),
      });
      expect(viaCustom.status).toBe(201);
      expect(viaCustom.body["@id"]).toMatch(/^xcore:gold-offer:[0-9a-f]{16}$/);
      const notGold = await h.call("POST", `/${c}/instances`, { body: { _instance: offer("nope", place["@id"]), _links: {} }, contentType: hal(GOLD_SCHEMA) });
      expect(notGold.status).toBe(400);
      const ids = async (schema: string) =>
        (await h.call("GET", `/${c}/instances?limit=100&schema=${encodeURIComponent(schema)}`)).body._embedded.results.map((r: any) => r.instanceId);
      const golds = await ids(GOLD_SCHEMA);
      expect(golds).toEqual([gold.instanceId, viaCustom.body.instanceId].sort());
      const offers = await ids(`${OM}/personalized-offer`);
      expect(offers).toEqual(expect.arrayContaining([gold.instanceId, plain.instanceId, viaCustom.body.instanceId]));
    });

    it("the immutable @id cannot be changed by a user or a service caller", async () => {
      const tag = await create(h, c, "tag", { "xdm:name": "svc" });
      const put = (headers: Record<string, string>) =>
        h.call("PUT", `/${c}/instances/${tag.instanceId}`, {
          body: { _instance: { "@id": "xcore:tag:1111111111111111", "xdm:name": "svc" }, _links: {} },
          contentType: hal(`${OM}/tag`),
          headers,
        });
      expect((await put({})).status).toBe(422);
      expect((await put({ "x-odd-service-caller": "true" })).status).toBe(422);
    });

    it("exposes every instance of a schema and a monotonic change feed", async () => {
      const repository = (h.service as any).repository;
      expect(repository).toBeUndefined();
      const { openRepository } = await import("../../src/repository");
      const direct = await openRepository({ store: store.url });
      try {
        const placements = await direct.instancesOf(c, `${OM}/offer-placement`);
        expect(placements.map((p) => p.instanceId)).toEqual([place.instanceId]);
        const changes = await direct.store.changesSince(0, 10_000);
        expect(changes.length).toBeGreaterThan(5);
        expect(changes.map((x) => x.seq)).toEqual([...changes.map((x) => x.seq)].sort((a, b) => a - b));
        const last = changes[changes.length - 1]!.seq;
        await create(h, c, "tag", { "xdm:name": "feed" });
        const next = await direct.store.changesSince(last, 10);
        expect(next).toHaveLength(1);
        expect(next[0]).toMatchObject({ kind: "create", containerId: c, schemaId: `${OM}/tag` });
      } finally {
        await direct.store.close();
      }
    });
  });
}
