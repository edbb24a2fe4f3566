/**
 * Issue 10, item 11: a cluster chosen by one visitor (the `.35_0` suffix of the tntId in their
 * mbox cookie, or a per-call targetLocationHint) routes that visitor's call only. The edgeHost the
 * server answers to such a call must not become the client-wide cluster; an edgeHost answered to
 * a call the client routed itself may.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { json, startStub, type StubServer } from "../remote/stub-server";
import { CLIENT, ORG, deliveryAnswer, memoryLogger, recordingFetch, toOrigin } from "../client/support";

let stub: StubServer;
beforeAll(async () => {
  // Answers as an edge would: edgeHost names the cluster the call reached (default host → 31).
  stub = await startStub((hit, res) => {
    const host = String(hit.headers["x-original-host"] ?? "");
    const cluster = /^mboxedge(\d+)\./.exec(host)?.[1] ?? "31";
    json(res, 200, deliveryAnswer(hit, { edgeHost: `mboxedge${cluster}.tt.omtrdc.net` }));
  });
});
afterAll(() => stub.close());

const clients: TargetClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function serverSideClient() {
  const base = recordingFetch(toOrigin(stub.origin));
  // Tell the stand-in which host the client chose (the URL is rewritten to 127.0.0.1).
  const fetchApi = ((url: string, init: any = {}) =>
    base(url, { ...init, headers: { ...(init.headers ?? {}), "x-original-host": new URL(url).host } })) as typeof base;
  fetchApi.calls = base.calls;
  const client = TargetClient.create({
    client: CLIENT,
    organizationId: ORG,
    decisioningMethod: "server-side",
    fetchApi,
    logger: memoryLogger().logger,
  });
  clients.push(client);
  return { client, hosts: () => base.calls.map((c) => new URL(c.url).host) };
}

const request = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
const nowS = () => Math.ceil(Date.now() / 1000);

describe("client-wide cluster", () => {
  it("a visitor's cookie cluster does not move later visitors", async () => {
    const { client, hosts } = serverSideClient();
    await client.ready();
    const cookie = `session#s1#${nowS() + 1800}|PC#visitor-a.35_0#${nowS() + 60000}`;
    await client.getOffers({ request, targetCookie: cookie });
    expect(hosts().at(-1)).toBe("mboxedge35.tt.omtrdc.net");
    await client.getOffers({ request: { ...request, id: { tntId: "visitor-b" } } });
    expect(hosts().at(-1)).toBe(`${CLIENT}.tt.omtrdc.net`);
    // A per-call hint is the caller's choice for that call only, too.
    await client.getOffers({ request, targetLocationHint: "38" });
    expect(hosts().at(-1)).toBe("mboxedge38.tt.omtrdc.net");
    await client.getOffers({ request });
    expect(hosts().at(-1)).not.toBe("mboxedge38.tt.omtrdc.net");
  });

  it("the edgeHost answered to a call the client routed itself becomes sticky", async () => {
    const { client, hosts } = serverSideClient();
    await client.ready();
    await client.getOffers({ request });
    expect(hosts().at(-1)).toBe(`${CLIENT}.tt.omtrdc.net`);
    await client.getOffers({ request: { ...request, id: { tntId: "visitor-c" } } });
    expect(hosts().at(-1)).toBe("mboxedge31.tt.omtrdc.net");
  });
});
