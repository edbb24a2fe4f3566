import { describe, expect, it } from "vitest";
import { classifyUrl, createOutboundFetch, rewriteToUpstream, upstreamDeliveryUrl } from "../../src/server/outbound";
import { fakeFetch, json } from "../support/fake-fetch";

const DELIVERY = "https://mboxedge28.tt.omtrdc.net/rest/v1/delivery?imsOrgId=O%40AdobeOrg&sessionId=s1";

describe("outbound fetch", () => {
  it("classifies Delivery, geo and artifact calls", () => {
    expect(classifyUrl(DELIVERY)).toBe("delivery");
    expect(classifyUrl("https://assets.adobetarget.com/v1/geo")).toBe("geo");
    expect(classifyUrl("https://assets.adobetarget.com/demo/production/v1/rules.json")).toBe("artifact");
    expect(classifyUrl("not a url")).toBe("other");
  });

  it("rewrites any Delivery host to the upstream, keeping the query and a base path", () => {
    expect(rewriteToUpstream(DELIVERY, upstreamDeliveryUrl(new URL("http://127.0.0.1:9000")))).toBe(
      "http://127.0.0.1:9000/rest/v1/delivery?imsOrgId=O%40AdobeOrg&sessionId=s1",
    );
    expect(rewriteToUpstream(DELIVERY, upstreamDeliveryUrl(new URL("https://proxy.test/target/")))).toBe(
      "https://proxy.test/target/rest/v1/delivery?imsOrgId=O%40AdobeOrg&sessionId=s1",
    );
  });

  it("sends Delivery calls upstream, leaves artifact downloads alone and counts outcomes", async () => {
    const base = fakeFetch({
      "POST http://up.test/rest/v1/delivery": () => json({ status: 200 }),
      "GET https://cdn.test/": () => new Response("{}", { status: 500 }),
    });
    const counted: string[] = [];
    const out = createOutboundFetch({
      upstream: new URL("http://up.test"),
      fetch: base,
      onRequest: (e, o) => counted.push(`${e}:${o}`),
    });
    expect((await out.fetch(DELIVERY, { method: "POST", body: "{}" })).status).toBe(200);
    expect((await out.fetch("https://cdn.test/rules.json")).status).toBe(500);
    expect(base.calls.map((c) => c.url)).toEqual([
      "http://up.test/rest/v1/delivery?imsOrgId=O%40AdobeOrg&sessionId=s1",
      "https://cdn.test/rules.json",
    ]);
    expect(counted).toEqual(["delivery:2xx", "artifact:5xx"]);
    await out.close();
  });

  it("answers Delivery decisions and geo locally with 403 when remote calls are off, and discards notifications with 204", async () => {
    const base = fakeFetch({});
    const counted: string[] = [];
    const out = createOutboundFetch({
      upstream: "off",
      fetch: base,
      onRequest: (e, o) => counted.push(`${e}:${o}`),
    });
    const decision = JSON.stringify({ execute: { mboxes: [{ name: "m", index: 1 }] } });
    const res = await out.fetch(DELIVERY, { method: "POST", body: decision });
    expect(res.status).toBe(403);
    expect(JSON.parse(await res.text())).toMatchObject({ status: 403 });
    expect((await out.fetch("https://assets.adobetarget.com/v1/geo", { method: "GET" })).status).toBe(403);
    const notification = JSON.stringify({
      id: { tntId: "t" },
      notifications: [{ id: "n", type: "display", timestamp: 1 }],
    });
    expect((await out.fetch(DELIVERY, { method: "POST", body: notification })).status).toBe(204);
    expect(base.calls).toHaveLength(0);
    expect(counted).toEqual(["delivery:disabled", "geo:disabled", "delivery:discarded"]);
  });

  it("counts network errors and rethrows them", async () => {
    const counted: string[] = [];
    const out = createOutboundFetch({
      upstream: undefined,
      fetch: async () => Promise.reject(new Error("ECONNREFUSED")),
      onRequest: (e, o) => counted.push(`${e}:${o}`),
    });
    await expect(out.fetch(DELIVERY, { method: "POST" })).rejects.toThrow("ECONNREFUSED");
    expect(counted).toEqual(["delivery:error"]);
  });
});
