/**
 * Issue 4, server-side paths through the public TargetClient against a real Delivery API stand-in on
 * 127.0.0.1: exact URL, query, headers and SDK-shaped result over the default undici stack (no
 * fetchApi), bounded retries, cookies and cluster stickiness, ECID visitor cookie, customer ids,
 * callbacks, and close().
 */
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient, type ClientOptions } from "../../src/index";
import { closedPort, json, startStub, type StubServer } from "../remote/stub-server";
import { CLIENT, ORG, deliveryAnswer, memoryLogger, recordingFetch, rejectionOf, trackUnhandledRejections } from "./support";

trackUnhandledRejections();

let stub: StubServer | undefined;
const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stub?.close();
  stub = undefined;
});

function serverSide(extra: Partial<ClientOptions> = {}): TargetClient {
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    serverDomain: stub!.hostPort,
    secure: false,
    logger: memoryLogger().logger,
    ...extra,
  });
  clients.push(client);
  return client;
}

const HEX32 = /^[0-9a-f]{32}$/;

describe("server-side round trip (default undici fetch)", () => {
  it("posts to /rest/v1/delivery with the reference query and headers and returns the SDK-shaped result", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit, { edgeHost: "mboxedge35.tt.omtrdc.net" })));
    const client = serverSide();
    await client.ready({ timeout: 1000 });
    const result = await client.getOffers({
      sessionId: "session-1",
      request: {
        id: { tntId: "visitor-1" },
        context: { channel: "web", address: { url: "http://shop.example/home" } },
        execute: { mboxes: [{ name: "hero", index: 1 }] },
        prefetch: { mboxes: [{ name: "promo", index: 2 }] },
      },
    });

    expect(stub.hits).toHaveLength(1);
    const hit = stub.hits[0]!;
    expect(hit.method).toBe("POST");
    expect(hit.path).toBe("/rest/v1/delivery");
    expect([...hit.query.entries()]).toEqual([
      ["imsOrgId", ORG],
      ["sessionId", "session-1"],
    ]);
    expect(hit.headers["content-type"]).toBe("application/json");
    expect(hit.headers["x-exc-sdk"]).toBe("AdobeTargetNode");
    expect(hit.headers["x-exc-sdk-version"]).toBe("2.4.3");
    expect(hit.headers["x-request-id"]).toMatch(HEX32);

    const body = hit.json;
    expect(body.requestId).toMatch(HEX32);
    expect(body.id).toEqual({ tntId: "visitor-1" });
    expect(body.context).toEqual({ channel: "web", address: { url: "http://shop.example/home" } });
    expect(body.experienceCloud.analytics).toEqual({
      logging: "server_side",
      supplementalDataId: expect.stringMatching(/^[0-9A-F]{16}-[0-9A-F]{16}$/),
    });
    expect(body.execute).toEqual({ mboxes: [{ name: "hero", index: 1 }] });
    expect(body.prefetch).toEqual({ mboxes: [{ name: "promo", index: 2 }] });

    // The result: the request actually sent, the stand-in's response, cookies and meta.
    const { telemetry: _telemetry, ...sent } = body;
    expect(result.request).toEqual(sent);
    expect(result.response).toEqual(deliveryAnswer(hit, { edgeHost: "mboxedge35.tt.omtrdc.net" }));
    expect(result.targetCookie!.name).toBe("mbox");
    expect(result.targetCookie!.value).toMatch(/^session#session-1#\d+\|PC#visitor-1#\d+$/);
    expect(result.targetCookie!.maxAge).toBeGreaterThan(63_000_000);
    expect(result.targetLocationHintCookie).toEqual({ name: "mboxEdgeCluster", value: "35", maxAge: 1860 });
    expect(result.meta).toEqual({ decisioningMethod: "server-side", remoteMboxes: [], remoteViews: [] });
    expect(result.responseTokens).toEqual([{ "activity.id": 777 }, { "activity.id": 777 }]);
    expect(result.analyticsDetails).toHaveLength(2);
    expect(result.visitorState).toEqual({ [ORG]: { sdid: { supplementalDataIDCurrent: body.experienceCloud.analytics.supplementalDataId } } });
  });

  it("adds the at.js version to the query", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = serverSide({ version: "2.11.4" });
    await client.getOffers({ sessionId: "s", request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    expect(stub.hits[0]!.query.get("version")).toBe("2.11.4");
  });
});

describe("retries", () => {
  it("stops at the bound: retries 2 on a 503 stand-in makes 3 attempts and rejects with the status", async () => {
    stub = await startStub((_hit, res) => json(res, 503, { message: "unavailable" }));
    const client = serverSide({ retries: 2, timeout: 3000 });
    const err = await rejectionOf(client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } }));
    expect(err.code).toBe("ODE_ERR_HTTP_STATUS");
    expect(err.status).toBe(503);
    expect(stub.hits).toHaveLength(3);
    // the same call retried: one body for all attempts
    expect(new Set(stub.hits.map((h) => h.body)).size).toBe(1);
  });

  it("retries 0 makes one attempt; a 4xx is never retried", async () => {
    stub = await startStub((_hit, res) => json(res, 503, {}));
    await rejectionOf(serverSide({ retries: 0 }).getOffers({ request: { execute: { mboxes: [{ name: "a", index: 1 }] } } }));
    expect(stub.hits).toHaveLength(1);
    stub.setHandler((_hit, res) => json(res, 400, { message: "bad" }));
    const err = await rejectionOf(serverSide({ retries: 5 }).getOffers({ request: { execute: { mboxes: [{ name: "a", index: 1 }] } } }));
    expect(err.status).toBe(400);
    expect(stub.hits).toHaveLength(2);
  });

  it("a closed port rejects with ODE_ERR_NETWORK after the bounded retries", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = serverSide({ serverDomain: `127.0.0.1:${await closedPort()}`, retries: 1 });
    const err = await rejectionOf(client.getOffers({ request: { execute: { mboxes: [{ name: "a", index: 1 }] } } }));
    expect(err.code).toBe("ODE_ERR_NETWORK");
  });
});

describe("cookies, cluster and visitor ids", () => {
  it("the returned targetCookie, passed back, keeps the session id and the tntId (PC)", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit, { tntId: "generated-tnt-7" })));
    const client = serverSide();
    const first = await client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    const session = stub.hits[0]!.query.get("sessionId")!;
    expect(session).toMatch(HEX32);
    expect(stub.hits[0]!.json.id).toBeUndefined();
    expect(first.targetCookie!.value).toContain(`session#${session}#`);
    expect(first.targetCookie!.value).toContain("PC#generated-tnt-7#");

    const second = await client.getOffers({
      targetCookie: first.targetCookie!.value,
      request: { execute: { mboxes: [{ name: "hero", index: 1 }] } },
    });
    expect(stub.hits[1]!.query.get("sessionId")).toBe(session);
    expect(stub.hits[1]!.json.id).toEqual({ tntId: "generated-tnt-7" });
    expect(second.response.id).toEqual({ tntId: "generated-tnt-7" });
    expect(second.targetCookie!.value.split("|").map((e) => e.split("#").slice(0, 2).join("#"))).toEqual([
      `session#${session}`,
      "PC#generated-tnt-7",
    ]);
  });

  it("a response edgeHost makes the cluster sticky; a PC cookie cluster picks mboxedge<cluster> (fetchApi wrapper answers locally)", async () => {
    const urls: string[] = [];
    const fetchApi = async (url: string, init?: { body?: string }) => {
      urls.push(url);
      const req = JSON.parse(init?.body ?? "{}");
      const answer = { status: 200, requestId: req.requestId, id: req.id ?? { tntId: "t-1" }, edgeHost: "mboxedge35.tt.omtrdc.net" };
      return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
    };
    const client = TargetClient.create({ client: CLIENT, organizationId: ORG, fetchApi, logger: memoryLogger().logger });
    clients.push(client);
    const request = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
    const first = await client.getOffers({ request });
    expect(first.targetLocationHintCookie).toEqual({ name: "mboxEdgeCluster", value: "35", maxAge: 1860 });
    await client.getOffers({ request });
    // the cluster of the PC (device id) in the mbox cookie wins over the sticky hint
    const future = Math.ceil(Date.now() / 1000) + 600;
    await client.getOffers({ request, targetCookie: `PC#abc.28_0#${future}` });
    await client.getOffers({ request, targetLocationHint: "17" });
    expect(urls.map((u) => new URL(u).origin)).toEqual([
      `https://${CLIENT}.tt.omtrdc.net`,
      "https://mboxedge35.tt.omtrdc.net",
      "https://mboxedge28.tt.omtrdc.net",
      "https://mboxedge17.tt.omtrdc.net",
    ]);
    expect(new URL(urls[1]!).pathname).toBe("/rest/v1/delivery");
  });

  it("the AMCV_<org> visitor cookie's MCMID becomes id.marketingCloudVisitorId; customerIds are converted", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = serverSide();
    expect(TargetClient.getVisitorCookieName(ORG)).toBe(`AMCV_${ORG}`);
    const result = await client.getOffers({
      visitorCookie: encodeURIComponent("-1330315163|MCMID|11111111111111111111111111111111111111|MCAAMLH-1599|7|MCAAMB-1599|blob-x"),
      customerIds: {
        crm: { id: "crm-42", authState: TargetClient.AuthState.AUTHENTICATED },
        loyalty: { id: "l-9", authState: TargetClient.AuthState.LOGGED_OUT },
        plain: "p-1",
      },
      request: { execute: { mboxes: [{ name: "hero", index: 1 }] } },
    });
    const body = stub.hits[0]!.json;
    expect(body.id.marketingCloudVisitorId).toBe("11111111111111111111111111111111111111");
    expect(body.id.customerIds).toEqual([
      { id: "crm-42", integrationCode: "crm", authenticatedState: "authenticated" },
      { id: "l-9", integrationCode: "loyalty", authenticatedState: "logged_out" },
      { id: "p-1", integrationCode: "plain", authenticatedState: "unknown" },
    ]);
    expect(body.experienceCloud.audienceManager).toEqual({ locationHint: 7, blob: "blob-x" });
    expect((result.visitorState![ORG] as any).customerIDs).toEqual({
      crm: { id: "crm-42", authState: "authenticated" },
      loyalty: { id: "l-9", authState: "logged_out" },
      plain: { id: "p-1", authState: "unknown" },
    });
  });
});

describe("callback / errCallback", () => {
  it("callback receives the result; a throwing callback does not break the call", async () => {
    stub = await startStub((hit, res) => json(res, 200, deliveryAnswer(hit)));
    const client = serverSide();
    const seen: unknown[] = [];
    const request = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
    const result = await client.getOffers({ request, callback: (r) => seen.push(r) });
    expect(seen).toEqual([result]);
    const again = await client.getOffers({
      request,
      callback: () => {
        throw new Error("boom");
      },
    });
    expect(again.response.status).toBe(200);
  });

  it("errCallback receives the coded error and the promise resolves to undefined; without it the promise rejects", async () => {
    stub = await startStub((_hit, res) => json(res, 404, {}));
    const client = serverSide();
    const request = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
    const errors: unknown[] = [];
    const success: unknown[] = [];
    const value = await client.getOffers({ request, callback: (r) => success.push(r), errCallback: (e) => errors.push(e) });
    expect(value).toBeUndefined();
    expect(success).toEqual([]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as any).code).toBe("ODE_ERR_HTTP_STATUS");
    expect((errors[0] as any).status).toBe(404);
    const err = await rejectionOf(client.getOffers({ request, callback: (r) => success.push(r) }));
    expect(err.status).toBe(404);
    // validation errors go to errCallback as well
    const invalid: unknown[] = [];
    await client.getOffers({ request: {}, errCallback: (e: unknown) => invalid.push(e) } as never);
    expect((invalid[0] as any).code).toBe("ODE_ERR_INVALID_REQUEST");
  });
});

describe("close()", () => {
  it("aborts an in-flight Delivery call, is idempotent, and later calls reject with ODE_ERR_CLOSED", async () => {
    stub = await startStub(() => undefined); // never answers
    const fetchApi = recordingFetch();
    const client = serverSide({ fetchApi, timeout: 10_000 });
    const pending = client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
    await new Promise<void>((resolve) => {
      const check = () => (stub!.hits.length > 0 ? resolve() : setTimeout(check, 2));
      check();
    });
    const started = Date.now();
    const first = client.close();
    const second = client.close();
    expect((await rejectionOf(pending)).code).toBe("ODE_ERR_ABORTED");
    await Promise.all([first, second, client.close()]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(client.status().closed).toBe(true);
    const request = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
    expect((await rejectionOf(client.getOffers({ request }))).code).toBe("ODE_ERR_CLOSED");
    expect((await rejectionOf(client.ready())).code).toBe("ODE_ERR_CLOSED");
    expect((await rejectionOf(client.getAttributes(["hero"], { request }))).code).toBe("ODE_ERR_CLOSED");
    expect(
      (await rejectionOf(client.sendNotifications({ request: { notifications: [{ id: "n", type: "display", timestamp: 1 }] } }))).code,
    ).toBe("ODE_ERR_CLOSED");
    expect(fetchApi.calls).toHaveLength(1);
  });
});
