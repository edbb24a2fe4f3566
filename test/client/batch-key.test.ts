import { describe, expect, it } from "vitest";
import { notificationBatchKey, notificationContextKey, type CallContext } from "../../src/client/call-context";

/** Equal keys must mean equal visitor, context, property (and supplied session / SDID); the key never serialises the request. */
const call: CallContext = {
  now: 0,
  deviceId: undefined,
  cluster: undefined,
  sessionId: "generated",
  sessionSupplied: false,
  clusterFromVisitor: false,
};
const base = () => ({
  id: { tntId: "t1" },
  context: {
    channel: "web",
    address: { url: "https://a.example/" },
    userAgent: "UA",
    geo: { city: "X", latitude: 1.5 },
  },
  property: { token: "p" },
});
/** Both parts of the key: the queue batches two items only when both are equal. */
const key = (request: any, c: CallContext = call, options: any = { request: {} }) =>
  `${notificationBatchKey(request, c, options)}|${notificationContextKey(request)}`;

describe("notificationBatchKey and notificationContextKey", () => {
  it("keep the context out of the visitor part", () => {
    const other = base();
    other.context.userAgent = "UA2";
    expect(notificationBatchKey(other as any, call, { request: {} })).toBe(
      notificationBatchKey(base() as any, call, { request: {} }),
    );
    expect(notificationContextKey(other as any)).not.toBe(notificationContextKey(base() as any));
  });

  it("is equal for equal requests, whatever object identity", () => {
    expect(key(base())).toBe(key(base()));
    expect(key(base(), { ...call, sessionId: "other generated" })).toBe(key(base()));
  });

  it("differs when any visitor id, context field, geo field or the property differs", () => {
    const variants: ((r: any) => void)[] = [
      (r) => (r.id.tntId = "t2"),
      (r) => (r.id.marketingCloudVisitorId = "m"),
      (r) => (r.id.customerIds = [{ id: "c", integrationCode: "x" }]),
      (r) => (r.context.address.url = "https://b.example/"),
      (r) => (r.context.address.referringUrl = "https://a.example/"),
      (r) => (r.context.address = "https://a.example/"),
      (r) => (r.context.userAgent = "UA2"),
      (r) => (r.context.geo.city = "Y"),
      (r) => (r.context.geo.latitude = 2),
      (r) => (r.context.geo.latitude = "1.5"),
      (r) => (r.context.screen = { width: 1 }),
      (r) => (r.context.beacon = true),
      (r) => (r.property.token = "q"),
      (r) => delete r.property,
    ];
    const reference = key(base());
    const seen = new Set([reference]);
    for (const change of variants) {
      const request = base();
      change(request);
      const k = key(request);
      expect(k).not.toBe(reference);
      seen.add(k);
    }
    expect(seen.size).toBe(variants.length + 1);
  });

  it("keeps values apart that a plain separator would join", () => {
    const a = base();
    const b = base();
    a.context.userAgent = "x";
    (a.context as any).clientHints = undefined;
    b.context.userAgent = "x" + "u";
    expect(key(a)).not.toBe(key(b));
    const c = base();
    const d = base();
    c.id.tntId = "s1:t";
    d.id = { tntId: "s", thirdPartyId: "t" } as any;
    expect(key(c)).not.toBe(key(d));
  });

  it("separates a supplied session and a caller's SDID", () => {
    expect(key(base(), { ...call, sessionSupplied: true, sessionId: "s1" })).not.toBe(
      key(base(), { ...call, sessionSupplied: true, sessionId: "s2" }),
    );
    const sdid = (id: string) => ({
      request: { experienceCloud: { analytics: { supplementalDataId: id } } },
    });
    expect(key(base(), call, sdid("A"))).not.toBe(key(base(), call, sdid("B")));
  });
});
