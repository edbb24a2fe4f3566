/** `odd artifact build` as a process: compiles what a store holds, exactly as the service publishes it. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlAdminStore } from "../../src/admin/sql-store";
import { decodeRulesBin } from "../../src/artifact/rules-bin";
import { createSqliteTestStore, type TestStore } from "../../src/storage/testing";
import { createTestAdmin, V1, V2 } from "../admin/support";
import { runCli } from "../server/support";

const tmp = mkdtempSync(path.join(tmpdir(), "odd-build-"));
let store: TestStore;
let published: any;

beforeAll(async () => {
  store = createSqliteTestStore();
  const t = await createTestAdmin({ store: await openSqlAdminStore(store.url) });
  try {
    const offer = await t.call("POST", "/acme/target/offers/json", { name: "o", content: { a: 1 } }, { "content-type": V2 });
    await t.call("POST", "/acme/target/environments", { name: "staging" }, { "content-type": V1 });
    await t.call("POST", "/acme/target/properties", { name: "web", token: "web-1" }, { "content-type": V1 });
    const created = await t.call("POST", "/acme/target/activities/xt", {
      name: "x",
      state: "approved",
      locations: { mboxes: [{ locationLocalId: 0, name: "box" }] },
      options: [{ optionLocalId: 1, offerId: offer.body.id }],
      experiences: [{ experienceLocalId: 0, name: "all", optionLocations: [{ locationLocalId: 0, optionLocalId: 1 }] }],
    });
    expect(created.status).toBe(201);
    await t.admin.publisher.idle();
    published = JSON.parse((await t.app.inject({ method: "GET", url: "/acme/staging/v1/rules.json" })).body);
  } finally {
    await t.close();
  }
}, 60_000);

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await store.dispose();
});

const withoutTime = (a: any) => ({ ...a, meta: { ...a.meta, generatedAt: undefined } });

describe("odd artifact build", { timeout: 60_000 }, () => {
  it("writes the artifact the service publishes (JSON to a file, rules.bin by extension)", async () => {
    const out = path.join(tmp, "rules.json");
    const res = await runCli(["artifact", "build", "--store", store.url, "--client", "acme", "--environment", "staging", "--out", out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/sha256 [0-9a-f]{64}/);
    expect(withoutTime(JSON.parse(readFileSync(out, "utf8")))).toEqual(withoutTime(published));
    const bin = path.join(tmp, "rules.bin");
    const binRes = await runCli(["artifact", "build", "--store", store.url, "--client", "acme", "--property-token", "web-1", "--org", "MY@AdobeOrg", "--out", bin]);
    expect(binRes.code, binRes.stderr).toBe(0);
    const decoded = decodeRulesBin(new Uint8Array(readFileSync(bin)), "MY@AdobeOrg") as any;
    expect(decoded.meta).toMatchObject({ clientCode: "acme", environment: "production", organizationId: "MY@AdobeOrg" });
    expect(Object.keys(decoded.rules.mboxes)).toEqual(["box"]);
  });

  it("fails with exit 1 for an unknown client, environment or token, and exit 2 without --client", async () => {
    expect((await runCli(["artifact", "build", "--store", store.url, "--client", "nobody"])).code).toBe(1);
    const env = await runCli(["artifact", "build", "--store", store.url, "--client", "acme", "--environment", "qa"]);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain("ODE_ERR_ADMIN_NOT_FOUND");
    expect((await runCli(["artifact", "build", "--store", store.url, "--client", "acme", "--property-token", "nope"])).code).toBe(1);
    expect((await runCli(["artifact", "build", "--store", store.url])).code).toBe(2);
  });
});
