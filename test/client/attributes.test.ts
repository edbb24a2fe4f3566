/**
 * Issue 4, getAttributes (feature flags) through the public TargetClient: on-device from the
 * artifact, server-side and hybrid through a real Delivery API stand-in on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions } from "../../src/index";
import { anArtifact } from "../../src/testing/index";
import { json, startStub, type StubServer } from "../remote/stub-server";
import { CLIENT, ORG, deliveryAnswer, memoryLogger, nonPing, notificationHits, trackUnhandledRejections } from "./support";

trackUnhandledRejections();

const artifact = anArtifact({ client: CLIENT, organizationId: ORG })
  .abActivity({
    id: 3001,
    name: "Feature flag",
    mbox: "feature-flag-mbox",
    experiences: [{ name: "On", json: { enabled: true, color: "red", limit: 3 } }],
  })
  .abActivity({ id: 3002, name: "Other", mbox: "other-mbox", experiences: [{ name: "On", json: { size: "xl" } }] })
  .remoteMbox("remote-flags")
  .build();

/** Own `__proto__` / `constructor` keys, as JSON.parse produces them from a hostile response. */
const HOSTILE = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"x": 1}}, "ok": 1}');

let stub: StubServer;
const clients: TargetClient[] = [];
beforeAll(async () => {
  stub = await startStub((hit, res) => {
    const answer = deliveryAnswer(hit);
    // Remote flags come back as json options, prefetched and executed.
    for (const mode of ["execute", "prefetch"] as const) {
      for (const m of ((answer[mode] as any)?.mboxes ?? []) as any[]) {
        m.options = [{ type: "json", content: m.name === "hostile-flags" ? HOSTILE : { remote: true, mode } }];
      }
    }
    json(res, 200, answer);
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await stub.close();
});

async function create(extra: Partial<ClientOptions>): Promise<TargetClient> {
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    artifactPayload: artifact,
    pollingInterval: 0,
    serverDomain: stub.hostPort,
    secure: false,
    logger: memoryLogger().logger,
    ...extra,
  });
  clients.push(client);
  await client.ready({ timeout: 2000 });
  return client;
}

describe("getAttributes", () => {
  it("on-device: getValue / asObject / toJSON / getResponse from the artifact's json offer; an impression is sent", async () => {
    const client = await create({ decisioningMethod: "on-device" });
    const request = { id: { tntId: "ff-visitor" }, context: { channel: "web" as const } };
    const attributes = await client.getAttributes(["feature-flag-mbox"], { request, sessionId: "ff-session" });

    expect(attributes.getValue("feature-flag-mbox", "enabled")).toBe(true);
    expect(attributes.getValue("feature-flag-mbox", "color")).toBe("red");
    expect(attributes.getValue("feature-flag-mbox", "limit")).toBe(3);
    const missing = attributes.getValue("feature-flag-mbox", "nope");
    expect(missing).toBeInstanceOf(Error);
    expect((missing as Error).message).toBe("Attribute 'nope' does not exist for mbox 'feature-flag-mbox'");
    expect(attributes.asObject("feature-flag-mbox")).toEqual({ enabled: true, color: "red", limit: 3 });
    expect(attributes.asObject()).toEqual({ "feature-flag-mbox": { enabled: true, color: "red", limit: 3 } });
    expect(attributes.toJSON()).toEqual(attributes.asObject());
    expect(JSON.parse(JSON.stringify(attributes))).toEqual(attributes.asObject());
    // copies: changing one does not change the provider
    (attributes.asObject("feature-flag-mbox") as any).enabled = false;
    expect(attributes.getValue("feature-flag-mbox", "enabled")).toBe(true);

    const response = attributes.getResponse();
    expect(response.meta.decisioningMethod).toBe("on-device");
    expect(response.request.execute!.mboxes).toEqual([{ name: "feature-flag-mbox", index: 1 }]);
    expect(request).toEqual({ id: { tntId: "ff-visitor" }, context: { channel: "web" } });

    await client.flush();
    const impressions = notificationHits(stub.hits).filter((h) => h.query.get("sessionId") === "ff-session");
    expect(impressions.flatMap((h) => h.json.notifications.map((n: any) => n.mbox.name))).toEqual(["feature-flag-mbox"]);
  });

  it("adds only the names not already requested, after the highest execute index; prefetch values come first", async () => {
    const client = await create({ decisioningMethod: "hybrid" });
    const attributes = await client.getAttributes(["feature-flag-mbox", "other-mbox", "remote-flags"], {
      request: {
        prefetch: { mboxes: [{ name: "remote-flags", index: 1 }] },
        execute: { mboxes: [{ name: "other-mbox", index: 4 }] },
      },
    });
    const sent = attributes.getResponse().request;
    expect(sent.execute!.mboxes).toEqual([
      { name: "other-mbox", index: 4 },
      { name: "feature-flag-mbox", index: 5 },
    ]);
    expect(attributes.asObject()).toEqual({
      "remote-flags": { remote: true, mode: "prefetch" },
      "other-mbox": { size: "xl" },
      "feature-flag-mbox": { enabled: true, color: "red", limit: 3 },
    });
    expect(attributes.getResponse().meta).toMatchObject({ decisioningMethod: "hybrid", remoteMboxes: ["remote-flags"] });
    const remote = nonPing(stub.hits).filter((h) => h.json.prefetch);
    expect(remote.at(-1)!.json.prefetch.mboxes).toEqual([{ name: "remote-flags", index: 1 }]);
    expect(remote.at(-1)!.json.execute).toBeUndefined();
  });

  it("json offers with __proto__ / constructor keys do not pollute Object.prototype", async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const client = await create({ decisioningMethod: "server-side", artifactPayload: undefined });
    const attributes = await client.getAttributes(["hostile-flags"]);
    expect(attributes.getValue("hostile-flags", "ok")).toBe(1);
    expect(attributes.getValue("hostile-flags", "polluted")).toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(attributes))["hostile-flags"].ok).toBe(1);
    expect(({} as any).polluted).toBeUndefined();
    expect(({} as any).x).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
  });

  it("server-side: values come from the Delivery API; the default request is used when none is given", async () => {
    const client = await create({ decisioningMethod: "server-side", artifactPayload: undefined });
    const attributes = await client.getAttributes(["feature-flag-mbox"]);
    expect(attributes.getValue("feature-flag-mbox", "remote")).toBe(true);
    expect(attributes.getResponse().meta.decisioningMethod).toBe("server-side");
    expect(stub.hits.at(-1)!.json.execute.mboxes).toEqual([{ name: "feature-flag-mbox", index: 1 }]);
    expect(stub.hits.at(-1)!.json.context.channel).toBe("web");
  });
});
