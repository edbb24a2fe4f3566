import { describe, expect, it } from "vitest";
import { convertCustomerIds, createCallContext, normalizeCallRequest, notificationBatchKey } from "../../src/client/call-context";
import { createSafeLogger } from "../../src/logger";

const NOW = 1_700_000_000_000;
const nowSeconds = Math.ceil(NOW / 1000);

describe("createCallContext", () => {
  it("takes session and device ids from the mbox cookie, and the cluster from the device id", () => {
    const cookie = `session#s-1#${nowSeconds + 100}|PC#tnt-1.35_0#${nowSeconds + 100}`;
    const call = createCallContext({ request: {}, targetCookie: cookie }, NOW, "28");
    expect(call).toEqual({ now: NOW, deviceId: "tnt-1.35_0", cluster: "35", sessionId: "s-1", sessionSupplied: true });
  });

  it("falls back to the call's, then the client's location hint, and generates a session id", () => {
    const own = createCallContext({ request: {}, targetLocationHint: "31" }, NOW, "28");
    expect(own.cluster).toBe("31");
    const client = createCallContext({ request: {} }, NOW, "28");
    expect(client.cluster).toBe("28");
    expect(client.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.sessionSupplied).toBe(false);
    expect(createCallContext({ request: {}, sessionId: "abc" }, NOW, undefined)).toMatchObject({ sessionId: "abc", sessionSupplied: true, cluster: undefined });
  });
});

describe("convertCustomerIds", () => {
  it("maps the SDK's customerIds map to Delivery API customer ids", () => {
    expect(convertCustomerIds({ crm: { id: "c1", authState: 1 }, loyalty: "l1", empty: "" })).toEqual([
      { id: "c1", integrationCode: "crm", authenticatedState: "authenticated" },
      { id: "l1", integrationCode: "loyalty", authenticatedState: "unknown" },
    ]);
    expect(convertCustomerIds(undefined)).toBeUndefined();
    expect(convertCustomerIds({})).toBeUndefined();
  });
});

describe("normalizeCallRequest", () => {
  it("completes a new request with the call's ids and the client's property token, leaving the input alone", () => {
    const options = { request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } };
    const frozen = JSON.stringify(options);
    const call = createCallContext(options, NOW, undefined);
    const request = normalizeCallRequest(options, call, { propertyToken: "tok", environmentId: 7 }, createSafeLogger());
    expect(JSON.stringify(options)).toBe(frozen);
    expect(request.property).toEqual({ token: "tok" });
    expect(request.environmentId).toBe(7);
    expect(request.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(request.execute?.mboxes?.[0]).toMatchObject({ name: "hero", index: 1 });
  });
});

describe("notificationBatchKey", () => {
  it("ignores generated session ids but separates supplied ones", () => {
    const validated = { id: { tntId: "t" }, context: { channel: "web" } };
    const generated = createCallContext({ request: {} }, NOW, undefined);
    const generated2 = createCallContext({ request: {} }, NOW, undefined);
    expect(notificationBatchKey(validated, generated, { request: {} })).toBe(notificationBatchKey(validated, generated2, { request: {} }));
    const a = createCallContext({ request: {}, sessionId: "a" }, NOW, undefined);
    const b = createCallContext({ request: {}, sessionId: "b" }, NOW, undefined);
    expect(notificationBatchKey(validated, a, { request: {} })).not.toBe(notificationBatchKey(validated, b, { request: {} }));
  });
});
