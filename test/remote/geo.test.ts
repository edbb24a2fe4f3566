import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Geo } from "../../src/protocol/delivery";
import { systemScheduler } from "../../src/platform/scheduler";
import { ManualScheduler } from "../support/manual-scheduler";
import { geoFromHeaders, geoFromPayload, isValidIpAddress } from "../../src/protocol/geo";
import { createGeoResolver, type GeoResolverOptions } from "../../src/remote/geo";
import { closedPort, fetch, json, recordingLogger, startStub, waitFor, type StubServer } from "./stub-server";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

const GEO_BODY = {
  "x-forwarded-for": "203.0.113.7",
  "x-geo-latitude": "37.3387",
  "x-geo-longitude": "-121.8853",
  "x-geo-country-code": "US",
  "x-geo-region-code": "CA",
  "x-geo-city": "SAN JOSE",
};
const GEO_VALUES = { ipAddress: "203.0.113.7", latitude: 37.3387, longitude: -121.8853, countryCode: "US", stateCode: "CA", city: "SAN JOSE" };

let stub: StubServer;
afterEach(async () => {
  await stub?.close();
});

function resolverFor(endpoint: string, extra: Partial<GeoResolverOptions> = {}) {
  const { logger, lines } = recordingLogger();
  const updates: Geo[] = [];
  const resolver = createGeoResolver({
    fetch,
    scheduler: systemScheduler,
    logger,
    geoEndpoint: endpoint,
    onUpdate: (g) => updates.push(g),
    ...extra,
  });
  return { resolver, lines, updates };
}

describe("isValidIpAddress", () => {
  it("accepts IPv4 and IPv6 literals", () => {
    for (const ip of [
      "1.2.3.4",
      "255.255.255.255",
      "0.0.0.0",
      " 10.0.0.1 ",
      "::",
      "::1",
      "1::",
      "2001:db8::8a2e:370:7334",
      "2001:0db8:0000:0000:0000:ff00:0042:8329",
      "1:2:3:4:5:6:7::",
      "::1:2:3:4:5:6:7",
      "::ffff:192.0.2.128",
      "1:2:3:4:5:6:1.2.3.4",
      "fe80::1%eth0",
    ]) {
      expect(isValidIpAddress(ip), ip).toBe(true);
    }
  });

  it("rejects everything else", () => {
    for (const ip of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.4%eth0",
      ":::",
      "1:::2",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1::2:3:4:5:6:7:8",
      "12345::",
      "1.2.3.4::",
      "fe80::1%",
      "g::1",
      "unknownIpAddress",
      "localhost",
      undefined,
      42,
    ]) {
      expect(isValidIpAddress(ip), String(ip)).toBe(false);
    }
  });
});

describe("geo mapping", () => {
  it("maps x-geo-* response headers", () => {
    const headers = new Headers({ "x-geo-latitude": "1.5", "x-geo-city": "PARIS", "x-geo-country-code": "FR" });
    expect(geoFromHeaders(headers)).toEqual({ latitude: 1.5, city: "PARIS", countryCode: "FR" });
    expect(geoFromHeaders(new Headers())).toEqual({});
  });

  it("maps a payload, ignoring non-numeric coordinates and non-objects", () => {
    expect(geoFromPayload(GEO_BODY)).toEqual(GEO_VALUES);
    expect(geoFromPayload({ "x-geo-latitude": "abc", "x-geo-city": 5 })).toEqual({});
    expect(geoFromPayload(null)).toEqual({});
    expect(geoFromPayload([1])).toEqual({});
  });
});

describe("createGeoResolver against a geo stand-in", () => {
  it("looks up a valid IP with x-forwarded-for and merges into a new object", async () => {
    stub = await startStub((_hit, res) => json(res, 200, GEO_BODY));
    const { resolver, updates } = resolverFor(`${stub.origin}/v1/geo`);
    const input: Geo = { ipAddress: "203.0.113.7", zip: "95110" };
    const frozen = structuredClone(input);
    const result = await resolver.resolveDetailed(input);
    expect(stub.hits).toHaveLength(1);
    expect(stub.hits[0]!.method).toBe("GET");
    expect(stub.hits[0]!.path).toBe("/v1/geo");
    expect(stub.hits[0]!.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(result).toMatchObject({ updated: true, cached: false });
    expect(result.geo).toEqual({ ...GEO_VALUES, zip: "95110" });
    expect(result.geo).not.toBe(input);
    expect(input).toEqual(frozen);
    expect(updates).toEqual([result.geo]);
  });

  it("looks up unknownIpAddress without x-forwarded-for, takes the IP from the body, and does not cache it", async () => {
    stub = await startStub((_hit, res) => json(res, 200, GEO_BODY));
    const { resolver } = resolverFor(`${stub.origin}/v1/geo`);
    const geo = await resolver.resolve({ ipAddress: "unknownIpAddress" });
    expect(stub.hits[0]!.headers["x-forwarded-for"]).toBeUndefined();
    expect(geo).toEqual(GEO_VALUES);
    await resolver.resolve({ ipAddress: "unknownIpAddress" });
    expect(stub.hits).toHaveLength(2);
    expect(resolver.cacheSize).toBe(0);
  });

  it("does not look up when a location field is set, when lookup is off, or for an invalid IP (which it removes)", async () => {
    stub = await startStub((_hit, res) => json(res, 200, GEO_BODY));
    const { resolver, updates } = resolverFor(`${stub.origin}/v1/geo`);
    for (const field of ["latitude", "longitude", "countryCode", "stateCode", "city"]) {
      const input = { ipAddress: "1.2.3.4", [field]: field === "latitude" || field === "longitude" ? 0 : "" };
      expect(await resolver.resolve(input)).toEqual(input);
    }
    expect(await resolver.resolve({ ipAddress: "1.2.3.4" }, { lookup: false })).toEqual({ ipAddress: "1.2.3.4" });
    expect(await resolver.resolve({ ipAddress: "unknownIpAddress" }, { lookup: false })).toEqual({});
    expect(await resolver.resolve({ ipAddress: "not-an-ip", city: "X" })).toEqual({ city: "X" });
    expect(await resolver.resolve({ ipAddress: "999.1.1.1" })).toEqual({});
    expect(await resolver.resolve(undefined)).toBeUndefined();
    expect(stub.hits).toHaveLength(0);
    expect(updates).toHaveLength(0);
  });

  it("caches per IP, honours the TTL and bounds the cache (LRU)", async () => {
    stub = await startStub((hit, res) => json(res, 200, { ...GEO_BODY, "x-forwarded-for": hit.headers["x-forwarded-for"] }));
    const scheduler = new ManualScheduler(0);
    const { resolver, updates } = resolverFor(`${stub.origin}/v1/geo`, { scheduler, cacheSize: 2, cacheTtl: 1000 });
    const first = await resolver.resolveDetailed({ ipAddress: "1.1.1.1" });
    const second = await resolver.resolveDetailed({ ipAddress: "1.1.1.1", zip: "1" });
    expect(stub.hits).toHaveLength(1);
    expect(second).toMatchObject({ updated: true, cached: true });
    expect(second.geo).toEqual({ ...first.geo, zip: "1" });
    expect(updates).toHaveLength(2);

    await scheduler.advance(1000);
    await resolver.resolve({ ipAddress: "1.1.1.1" });
    expect(stub.hits).toHaveLength(2); // expired

    await resolver.resolve({ ipAddress: "2.2.2.2" });
    await resolver.resolve({ ipAddress: "1.1.1.1" }); // touch: 2.2.2.2 becomes least recently used
    await resolver.resolve({ ipAddress: "3.3.3.3" }); // evicts 2.2.2.2
    expect(resolver.cacheSize).toBe(2);
    expect(stub.hits).toHaveLength(4);
    await resolver.resolve({ ipAddress: "1.1.1.1" });
    expect(stub.hits).toHaveLength(4);
    await resolver.resolve({ ipAddress: "2.2.2.2" });
    expect(stub.hits).toHaveLength(5);
  });

  it("coalesces concurrent lookups of the same IP", async () => {
    stub = await startStub((_hit, res) => {
      setTimeout(() => json(res, 200, GEO_BODY), 20);
    });
    const { resolver } = resolverFor(`${stub.origin}/v1/geo`);
    const results = await Promise.all([1, 2, 3].map(() => resolver.resolve({ ipAddress: "203.0.113.7" })));
    expect(stub.hits).toHaveLength(1);
    for (const g of results) expect(g).toEqual(GEO_VALUES);
    expect(results[0]).not.toBe(results[1]);
  });

  it("returns the input geo within the timeout when the endpoint hangs", async () => {
    stub = await startStub(() => {});
    const { resolver, lines, updates } = resolverFor(`${stub.origin}/v1/geo`, { timeout: 100 });
    const started = Date.now();
    const result = await resolver.resolveDetailed({ ipAddress: "1.2.3.4", zip: "z" });
    expect(Date.now() - started).toBeLessThan(100 + 250);
    expect(result.geo).toEqual({ ipAddress: "1.2.3.4", zip: "z" });
    expect(result.updated).toBe(false);
    expect(result.error?.code).toBe("ODE_ERR_GEO_LOOKUP");
    expect((result.error?.cause as { code?: string }).code).toBe("ODE_ERR_TIMEOUT");
    expect(lines.some((l) => l.level === "warn")).toBe(true);
    expect(updates).toHaveLength(0);
    await waitFor(() => stub.abortedRequests === 1);
  });

  it("returns the input geo on an error status, invalid JSON or a closed port, and caches no failure", async () => {
    stub = await startStub((hit, res) => {
      if (hit.index === 0) json(res, 500, {});
      else {
        res.writeHead(200);
        res.end("not json");
      }
    });
    const { resolver } = resolverFor(`${stub.origin}/v1/geo`);
    const r1 = await resolver.resolveDetailed({ ipAddress: "1.2.3.4" });
    expect(r1).toMatchObject({ geo: { ipAddress: "1.2.3.4" }, updated: false });
    expect(r1.error?.status).toBe(500);
    expect(await resolver.resolve({ ipAddress: "1.2.3.4" })).toEqual({ ipAddress: "1.2.3.4" });
    expect(stub.hits).toHaveLength(2);

    const port = await closedPort();
    const closed = resolverFor(`http://127.0.0.1:${port}/v1/geo`).resolver;
    const r3 = await closed.resolveDetailed({ ipAddress: "1.2.3.4" });
    expect(r3.geo).toEqual({ ipAddress: "1.2.3.4" });
    expect(r3.error?.code).toBe("ODE_ERR_GEO_LOOKUP");
  });
});

describe("createGeoResolver with a custom resolver", () => {
  function custom(fn: GeoResolverOptions["resolver"], scheduler = new ManualScheduler(0)) {
    const { logger } = recordingLogger();
    let fetched = 0;
    const resolver = createGeoResolver({
      fetch: async () => {
        fetched++;
        return new Response("{}");
      },
      scheduler,
      logger,
      timeout: 50,
      resolver: fn,
    });
    return { resolver, scheduler, fetched: () => fetched };
  }

  it("replaces the HTTP lookup and keeps only geo fields", async () => {
    const seen: string[] = [];
    const { resolver, fetched } = custom((ip) => {
      seen.push(ip);
      return { city: "BERLIN", countryCode: "DE", latitude: 52.5, evil: "x" } as Geo;
    });
    expect(await resolver.resolve({ ipAddress: "5.6.7.8" })).toEqual({ ipAddress: "5.6.7.8", city: "BERLIN", countryCode: "DE", latitude: 52.5 });
    await resolver.resolve({ ipAddress: "5.6.7.8" });
    expect(seen).toEqual(["5.6.7.8"]); // cached
    expect(fetched()).toBe(0);
  });

  it("treats undefined as no information and a throwing resolver as a failure", async () => {
    expect(await custom(() => undefined).resolver.resolveDetailed({ ipAddress: "5.6.7.8" })).toMatchObject({
      geo: { ipAddress: "5.6.7.8" },
      updated: false,
    });
    const failing = await custom(() => {
      throw new Error("db closed");
    }).resolver.resolveDetailed({ ipAddress: "5.6.7.8" });
    expect(failing.geo).toEqual({ ipAddress: "5.6.7.8" });
    expect(failing.error?.message).toContain("db closed");
    const rejecting = await custom(async () => Promise.reject(new Error("nope"))).resolver.resolve({ ipAddress: "5.6.7.8" });
    expect(rejecting).toEqual({ ipAddress: "5.6.7.8" });
  });

  it("times out a slow resolver", async () => {
    const { resolver, scheduler } = custom(() => new Promise<Geo>(() => {}));
    const p = resolver.resolveDetailed({ ipAddress: "5.6.7.8" });
    await scheduler.advance(49);
    let settled = false;
    void p.then(() => (settled = true));
    await scheduler.advance(0);
    expect(settled).toBe(false);
    await scheduler.advance(1);
    const result = await p;
    expect(result.geo).toEqual({ ipAddress: "5.6.7.8" });
    expect((result.error?.cause as { code?: string }).code).toBe("ODE_ERR_TIMEOUT");
  });
});

describe("createGeoCache", () => {
  it("expires entries after the TTL, bounds its size, and caches nothing at size 0", async () => {
    const { createGeoCache } = await import("../../src/remote/geo");
    let now = 0;
    const cache = createGeoCache(2, 100, () => now);
    cache.set("1.1.1.1", { city: "A" });
    cache.set("2.2.2.2", { city: "B" });
    cache.set("3.3.3.3", { city: "C" });
    expect(cache.size).toBe(2);
    expect(cache.get("1.1.1.1")).toBeUndefined();
    expect(cache.get("3.3.3.3")).toEqual({ city: "C" });
    now = 100;
    expect(cache.get("3.3.3.3")).toBeUndefined();
    expect(cache.size).toBe(1);
    const none = createGeoCache(0, 100, () => now);
    none.set("1.1.1.1", { city: "A" });
    expect(none.get("1.1.1.1")).toBeUndefined();
    expect(none.size).toBe(0);
  });
});
