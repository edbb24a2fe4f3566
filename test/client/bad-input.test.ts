/**
 * Issue 2 at client level: invalid options and requests fail with coded errors and the reference's
 * messages; hostile input (malformed URLs, prototype-pollution keys, huge or numerous parameters)
 * never throws or pollutes; caller objects and a shared artifactPayload are never mutated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions } from "../../src/index";
import { anArtifact, paramEquals, urlContains } from "../../src/testing/index";
import { json, startStub, type StubServer } from "../remote/stub-server";
import {
  CLIENT,
  ORG,
  deepFreeze,
  deliveryAnswer,
  hybridArtifact,
  memoryLogger,
  rejectionOf,
  thrownBy,
  trackUnhandledRejections,
} from "./support";

trackUnhandledRejections();

const artifact = anArtifact({ client: CLIENT, organizationId: ORG })
  .xtActivity({
    id: 2001,
    name: "Sale",
    mbox: "hero",
    experiences: [
      { name: "Sale", audience: urlContains("/sale"), json: { hero: "sale" } },
      { name: "Default", json: { hero: "default" } },
    ],
  })
  .xtActivity({
    id: 2002,
    name: "Param",
    mbox: "param-box",
    experiences: [
      { name: "Matched", audience: paramEquals("color", "red"), json: { color: "red" } },
      { name: "Default", json: { color: "none" } },
    ],
  })
  .remoteMbox("remote-one")
  .build();

let stub: StubServer;
const clients: TargetClient[] = [];
beforeAll(async () => {
  stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await stub.close();
});

async function client(extra: Partial<ClientOptions> = {}): Promise<TargetClient> {
  const c = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    pollingInterval: 0,
    serverDomain: stub.hostPort,
    secure: false,
    logger: memoryLogger().logger,
    ...extra,
  });
  clients.push(c);
  await c.ready({ timeout: 2000 });
  return c;
}

const contentOf = (result: { response: any }, name: string) =>
  result.response.execute.mboxes.find((m: any) => m.name === name)?.options?.[0]?.content;

describe("invalid client options", () => {
  const base = { client: CLIENT, organizationId: ORG };
  const cases: [string, unknown, string][] = [
    ["no options", undefined, "options"],
    ["empty options", {}, "options"],
    ["missing client", { organizationId: ORG }, "client"],
    ["empty client", { ...base, client: "" }, "client"],
    ["missing organizationId", { client: CLIENT }, "organizationId"],
    ["bad decisioningMethod", { ...base, decisioningMethod: "edge" }, "decisioningMethod"],
    ["non-function fetchApi", { ...base, fetchApi: "https://proxy" }, "fetchApi"],
    ["object fetchApi", { ...base, fetchApi: {} }, "fetchApi"],
    ["bad artifactFormat", { ...base, artifactFormat: "xml" }, "artifactFormat"],
    ["bad hybridMode", { ...base, hybridMode: "half" }, "hybridMode"],
  ];
  for (const [name, options, option] of cases) {
    it(`${name} → ODE_ERR_INVALID_OPTION`, () => {
      const err = thrownBy(() => TargetClient.create(options as ClientOptions));
      expect(err.code).toBe("ODE_ERR_INVALID_OPTION");
      expect(err.details?.option).toBe(option);
    });
  }

  it("keeps the reference's messages", () => {
    expect(thrownBy(() => TargetClient.create({ organizationId: ORG } as ClientOptions)).message).toBe("Client is required");
    expect(thrownBy(() => TargetClient.create({ client: CLIENT } as ClientOptions)).message).toBe("Organization Id is required");
    expect(thrownBy(() => TargetClient.create({ ...base, decisioningMethod: "x" } as never)).message).toBe(
      "Invalid Decisioning Method.  Must be set to one of: on-device,server-side,hybrid",
    );
    expect(() => new (TargetClient as any)({})).toThrow("Please use TargetClient.create static method instead");
  });
});

describe("invalid getOffers options", () => {
  const cases: [string, unknown, string][] = [
    ["no options", undefined, "Options map is required"],
    ["empty options", {}, "Options map is required"],
    ["no request", { sessionId: "s" }, "Request object is required"],
    ["empty request", { request: {} }, "Request object is required"],
    ["execute without mboxes or pageLoad", { request: { execute: { mboxes: [] } } }, "Either pageLoad or mboxes is required in execute"],
    ["execute with a non-object pageLoad", { request: { execute: { pageLoad: "yes" } } }, "Either pageLoad or mboxes is required in execute"],
    ["empty prefetch", { request: { prefetch: { views: [], mboxes: [] } } }, "Either views, pageLoad or mboxes is required in prefetch"],
    ["options as a string", "request", "Options map is required"],
    ["options as an array", [{ request: {} }], "Options map is required"],
    ["request as an array", { request: [{ execute: {} }] }, "Request object is required"],
  ];
  for (const [name, options, message] of cases) {
    it(`${name} → ODE_ERR_INVALID_REQUEST "${message}"`, async () => {
      const c = await client();
      const err = await rejectionOf(c.getOffers(options as never));
      expect(err.code).toBe("ODE_ERR_INVALID_REQUEST");
      expect(err.message).toBe(message);
    });
  }
});

describe("getAttributes bad input", () => {
  it("null options behave like no options; a non-array name list adds nothing; errors are coded", async () => {
    const c = await client();
    const attributes = await c.getAttributes(["hero"], null as never);
    expect(attributes.asObject("hero")).toEqual({ hero: "default" });
    const none = await c.getAttributes("hero" as never, { request: { execute: { mboxes: [{ name: "param-box", index: 1 }] } } });
    expect(Object.keys(none.asObject())).toEqual(["param-box"]);
    const bad = { request: { prefetch: { mboxes: [] } } } as never;
    const err = await rejectionOf(c.getAttributes(["hero"], bad));
    expect(err.code).toBe("ODE_ERR_INVALID_REQUEST");
    // with errCallback the failure is reported there and the promise resolves to undefined (as getOffers does)
    const reported: any[] = [];
    const value = await c.getAttributes(["hero"], { ...(bad as object), errCallback: (e: unknown) => reported.push(e) } as never);
    expect(value).toBeUndefined();
    expect(reported.map((e) => e.code)).toEqual(["ODE_ERR_INVALID_REQUEST"]);
  });
});

describe("hostile input", () => {
  it("malformed URLs in context.address do not throw", async () => {
    const c = await client();
    for (const url of ["http://[::1", "ht!tp://%%%/sale", "not a url", "//", "http://exa mple.com/sale?%E0%A4%A", "\u0000", "x".repeat(10_000)]) {
      const result = await c.getOffers({
        request: { context: { channel: "web", address: { url, referringUrl: "::::" } }, execute: { mboxes: [{ name: "hero", index: 1 }] } },
      });
      expect(result.response.status).toBe(200);
      expect(["sale", "default"]).toContain(contentOf(result, "hero").hero);
    }
  });

  it("__proto__ / constructor.prototype parameters do not pollute Object.prototype and decisions still return", async () => {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const c = await client({ decisioningMethod: "hybrid" });
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "__proto__.polluted": "yes", "constructor.prototype.x": "1", "constructor": {"prototype": {"x": 1}}, "prototype": {"polluted": "yes"}, "color": "red"}',
    );
    for (const decisioningMethod of ["on-device", "hybrid"] as const) {
      const result = await c.getOffers({
        decisioningMethod,
        request: {
          execute: {
            mboxes: [
              { name: "param-box", index: 1, parameters: hostile, profileParameters: hostile },
              { name: "__proto__", index: 2, parameters: hostile },
              { name: "constructor", index: 3 },
              { name: "remote-one", index: 4, parameters: hostile },
            ],
          },
        },
      });
      expect(contentOf(result, "param-box")).toEqual({ color: "red" });
      expect(result.response.execute!.mboxes!.map((m) => m.name)).toEqual(["param-box", "__proto__", "constructor", "remote-one"]);
    }
    expect(({} as any).polluted).toBeUndefined();
    expect(({} as any).x).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
  });

  it("a 1 MB parameter value and 10k parameters are handled without throwing", async () => {
    const c = await client({ decisioningMethod: "hybrid" });
    const many: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) many[`p${i}`] = `v${i}`;
    const huge = "x".repeat(1024 * 1024);
    const started = Date.now();
    const result = await c.getOffers({
      request: {
        execute: {
          mboxes: [
            // the engine reads a bounded number of parameters (src/engine/params.ts), so "color" comes first
            { name: "param-box", index: 1, parameters: { color: "red", ...many, big: huge } },
            { name: "remote-one", index: 2, parameters: { big: huge } },
          ],
        },
      },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(contentOf(result, "param-box")).toEqual({ color: "red" });
    expect(result.meta.decisioningMethod).toBe("hybrid");
    expect(stub.hits.at(-1)!.json.execute.mboxes[0].parameters.big).toHaveLength(1024 * 1024);
  });
});

describe("no mutation of caller input", () => {
  it("the caller's options/request objects are unchanged after on-device, hybrid, server-side and getAttributes calls", async () => {
    const c = await client({ decisioningMethod: "hybrid" });
    const request = {
      id: { tntId: "t-1" },
      context: { channel: "mobile", address: { url: "http://shop.example/sale" } },
      execute: { mboxes: [{ name: "hero" }, { name: "remote-one", parameters: { a: "1" } }], pageLoad: { parameters: { b: "2" } } },
      prefetch: { mboxes: [{ name: "param-box", index: 3 }], views: [{ name: "home" }] },
      extra: { keep: true },
    };
    const options = { request, sessionId: "s-1", customerIds: { crm: { id: "c", authState: 1 } } };
    const before = JSON.stringify(options);
    deepFreeze(options); // any write attempt throws in strict mode
    for (const decisioningMethod of ["on-device", "hybrid", "server-side"] as const) {
      await c.getOffers({ ...options, decisioningMethod } as never);
    }
    const attributeOptions = deepFreeze({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    await c.getAttributes(["param-box", "hero"], attributeOptions as never);
    expect(JSON.stringify(options)).toBe(before);
    expect(attributeOptions.request.execute.mboxes).toEqual([{ name: "hero", index: 1 }]);
  });

  it("two clients sharing one (frozen) artifactPayload do not mutate it and both decide", async () => {
    const shared = hybridArtifact();
    const before = JSON.stringify(shared);
    deepFreeze(shared);
    const a = await client({ artifactPayload: shared });
    const b = await client({ artifactPayload: shared, decisioningMethod: "hybrid" });
    const request = { execute: { mboxes: [{ name: "local-one", index: 1 }, { name: "remote-one", index: 2 }] } };
    const [ra, rb] = await Promise.all([a.getOffers({ request }), b.getOffers({ request })]);
    expect(contentOf(ra, "local-one")).toEqual({ from: "local" });
    expect(contentOf(rb, "local-one")).toEqual({ from: "local" });
    expect(contentOf(rb, "remote-one")).toEqual({ from: "remote", mbox: "remote-one" });
    expect(JSON.stringify(shared)).toBe(before);
  });
});
