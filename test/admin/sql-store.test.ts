import { afterAll, describe, expect, it } from "vitest";
import type { AdminStore } from "../../src/admin/store";
import { openSqlAdminStore } from "../../src/admin/sql-store";
import { createPostgresTestStore, createSqliteTestStore, type TestStore } from "../../src/storage/testing";
import { adminStoreContract } from "./store-contract";
import { createTestAdmin, V2 } from "./support";

/**
 * The same contract as the in-memory adapter, on SQLite (always) and PostgreSQL (when
 * ODD_TEST_POSTGRES_URL is set, in a schema of its own that is dropped afterwards).
 */
const stores: TestStore[] = [];

/** A store on its own fresh database; closing it also drops that database. */
async function openFresh(testStore: TestStore): Promise<AdminStore> {
  const store = await openSqlAdminStore(testStore.url);
  return { ...store, close: async () => { await store.close(); await testStore.dispose(); } };
}

adminStoreContract("sqlite", async () => openFresh(createSqliteTestStore()));

const postgresUrl = process.env.ODD_TEST_POSTGRES_URL;
if (postgresUrl) {
  adminStoreContract("postgres", async () => openFresh(await createPostgresTestStore(postgresUrl)));
  it("postgres: two stores on one schema serialise a tenant's writers", async () => {
    const testStore = await createPostgresTestStore(postgresUrl);
    stores.push(testStore);
    const a = await openSqlAdminStore(testStore.url);
    const b = await openSqlAdminStore(testStore.url);
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).transaction("t", async (tx) => {
            const current = ((await tx.get("sequence", "n"))?.value as number | undefined) ?? 0;
            await tx.put("sequence", "n", { value: current + 1 });
          }),
        ),
      );
      await a.transaction("t", async (tx) => expect(await tx.get("sequence", "n")).toEqual({ value: 20 }));
    } finally {
      await a.close();
      await b.close();
    }
  });
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.dispose()));
});

describe("the Admin API on SQLite keeps data across restarts and rolls back failed requests", () => {
  it("survives a restart and writes nothing for a rejected request", async () => {
    const file = createSqliteTestStore();
    stores.push(file);
    let t = await createTestAdmin({ store: await openSqlAdminStore(file.url) });
    const created = await t.call("POST", "/acme/target/offers/content", { name: "kept", content: "<p/>" }, { "content-type": V2 });
    expect(created.status).toBe(201);
    const bad = await t.call("POST", "/acme/target/activities/ab", { name: "bad", locations: { mboxes: [{ name: "m" }] }, options: [{ optionLocalId: 1, offerId: 999 }], experiences: [{ experienceLocalId: 0, visitorPercentage: 100, optionLocations: [] }] });
    expect(bad.status).toBe(400);
    await t.admin.publisher.idle();
    await t.close();
    t = await createTestAdmin({ store: await openSqlAdminStore(file.url) });
    try {
      const offers = await t.call("GET", "/acme/target/offers", undefined, { accept: V2 });
      expect(offers.body.offers).toEqual([expect.objectContaining({ id: created.body.id, name: "kept" })]);
      expect((await t.call("GET", "/acme/target/activities")).body.total).toBe(0);
      const next = await t.call("POST", "/acme/target/offers/content", { name: "second", content: "x" }, { "content-type": V2 });
      expect(next.body.id).toBe(created.body.id + 1);
      expect((await t.app.inject({ method: "GET", url: "/acme/production/v1/rules.json" })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
