import { describe, expect, it } from "vitest";
import {
  LOCATION_HINT_COOKIE_NAME,
  TARGET_COOKIE_NAME,
  clusterFromEdgeHost,
  clusterFromTntId,
  createLocationHintCookie,
  createTargetCookie,
  isValidCluster,
  parseTargetCookie,
  parseVisitorCookie,
  visitorCookieName,
} from "../../src/protocol/cookies";

const NOW = 1_700_000_000_123; // ms, not a whole second
const NOW_S = Math.ceil(NOW / 1000);

describe("mbox cookie", () => {
  it("creates session and PC entries with the reference expiries and maxAge", () => {
    const cookie = createTargetCookie({ sessionId: "s1", tntId: "abc.28_0", nowMs: NOW });
    expect(cookie.name).toBe(TARGET_COOKIE_NAME);
    expect(cookie.value).toBe(`session#s1#${NOW_S + 1860}|PC#abc.28_0#${NOW_S + 63244800}`);
    expect(cookie.maxAge).toBe(Math.ceil(Math.abs((NOW_S + 63244800) * 1000 - NOW) / 1000));
    expect(cookie.maxAge).toBe(63244801);
  });

  it("creates a session-only cookie without a tntId", () => {
    const cookie = createTargetCookie({ sessionId: "s1", nowMs: NOW });
    expect(cookie.value).toBe(`session#s1#${NOW_S + 1860}`);
    expect(cookie.maxAge).toBe(1861);
  });

  it("round-trips, URI-encoding names and values", () => {
    const cookie = createTargetCookie({ sessionId: "a|b#c d", tntId: "x.1_2", nowMs: NOW });
    expect(cookie.value).toContain("session#a%7Cb%23c%20d#");
    expect(parseTargetCookie(cookie.value, NOW)).toEqual({ session: "a|b#c d", PC: "x.1_2" });
  });

  it("ignores expired, malformed and unknown entries", () => {
    const v = [
      `session#old#${NOW_S - 1}`,
      `PC#keep#${NOW_S}`, // expiring exactly now is still valid
      "garbage",
      "name#value",
      `x#y#abc`,
      `session#bad%E0#${NOW_S + 5}`,
      `other#z#${NOW_S + 5}`,
      `session#empty#`,
    ].join("|");
    expect(parseTargetCookie(v, NOW)).toEqual({ PC: "keep" });
  });

  it("lets a later entry of the same name win", () => {
    expect(parseTargetCookie(`session#a#${NOW_S + 9}|session#b#${NOW_S + 9}`, NOW)).toEqual({ session: "b" });
  });

  it("returns {} for empty input and does not pollute prototypes", () => {
    expect(parseTargetCookie(undefined, NOW)).toEqual({});
    expect(parseTargetCookie("", NOW)).toEqual({});
    const parsed = parseTargetCookie(`__proto__#x#${NOW_S + 9}|constructor#y#${NOW_S + 9}`, NOW);
    expect(parsed).toEqual({});
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe("clusters and the location-hint cookie", () => {
  it("extracts the cluster from a tntId shaped <id>.<cluster>_<n>", () => {
    expect(clusterFromTntId("338e3c1e51f7416a8e1ccba4f81acea0.28_0")).toBe("28");
    expect(clusterFromTntId("abc.35_1")).toBe("35");
    for (const bad of ["abc", "abc.", "abc.28", "abc._0", "a.b.c_1", "abc.28_0_1", "", undefined, "x.a@localhost:8080/?_1"]) {
      expect(clusterFromTntId(bad)).toBeUndefined();
    }
  });

  it("extracts the cluster from an edge host", () => {
    expect(clusterFromEdgeHost("mboxedge28.tt.omtrdc.net")).toBe("28");
    expect(clusterFromEdgeHost("mboxedge35-prod.tt.omtrdc.net")).toBe("35-prod");
    expect(clusterFromEdgeHost("mboxedge28.tt.omtrdc")).toBeUndefined();
    expect(clusterFromEdgeHost("mboxedge.tt.omtrdc.net")).toBeUndefined();
    expect(clusterFromEdgeHost(undefined)).toBeUndefined();
  });

  it("validates clusters as host labels", () => {
    expect(isValidCluster("28")).toBe(true);
    expect(isValidCluster("a/b")).toBe(false);
    expect(isValidCluster(28)).toBe(false);
  });

  it("creates the mboxEdgeCluster cookie", () => {
    expect(createLocationHintCookie("28")).toEqual({ name: LOCATION_HINT_COOKIE_NAME, value: "28", maxAge: 1860 });
    expect(createLocationHintCookie("")).toBeUndefined();
    expect(createLocationHintCookie(undefined)).toBeUndefined();
  });
});

describe("AMCV visitor cookie", () => {
  it("names the cookie after the org", () => {
    expect(visitorCookieName("ABC@AdobeOrg")).toBe("AMCV_ABC@AdobeOrg");
  });

  it("reads MCMID, MCAAMLH and MCAAMB, ignoring expiry suffixes", () => {
    const raw = "MCMID|1234|MCAAMLH-1599|7|MCAAMB-1599|xyz|MCOPTOUT-1599s|NONE|vVersion|4.4.0";
    expect(parseVisitorCookie(raw)).toEqual({ MCMID: "1234", MCAAMLH: "7", MCAAMB: "xyz" });
  });

  it("URI-decodes and skips a leading settings digest", () => {
    const raw = encodeURIComponent("-1124106680|MCIDTS|19000|MCMID|8766|MCAAMLH-1642700000|9|MCAAMB-1642700000|RKhp+z/8=");
    expect(parseVisitorCookie(raw)).toEqual({ MCMID: "8766", MCAAMLH: "9", MCAAMB: "RKhp+z/8=" });
  });

  it("returns {} for empty, 'T', malformed or oversized values and never pollutes prototypes", () => {
    expect(parseVisitorCookie("")).toEqual({});
    expect(parseVisitorCookie("T")).toEqual({});
    expect(parseVisitorCookie("%E0%A4%A")).toEqual({});
    expect(parseVisitorCookie("MCMID|" + "x".repeat(20000))).toEqual({});
    expect(parseVisitorCookie("__proto__|1|constructor|2|MCMID|3")).toEqual({ MCMID: "3" });
    expect(({} as Record<string, unknown>)["1"]).toBeUndefined();
  });
});
