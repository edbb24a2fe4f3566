import { describe, expect, it } from "vitest";
import { artifactTelemetryEntry, telemetryEntryFor } from "../../src/protocol/telemetry";
import { createTelemetryStore } from "../../src/remote/telemetry";

describe("createTelemetryStore", () => {
  it("returns and clears the pending entries in order", () => {
    const store = createTelemetryStore({ enabled: true });
    store.add({ requestId: "a" });
    store.add({ requestId: "b" });
    expect(store.size).toBe(2);
    expect(store.take().map((e) => e.requestId)).toEqual(["a", "b"]);
    expect(store.size).toBe(0);
    expect(store.take()).toEqual([]);
  });

  it("is bounded and drops the oldest entries", () => {
    const store = createTelemetryStore({ enabled: true, maxEntries: 3 });
    for (let i = 0; i < 10; i++) store.add({ requestId: String(i) });
    expect(store.take().map((e) => e.requestId)).toEqual(["7", "8", "9"]);
    const dflt = createTelemetryStore({ enabled: true });
    for (let i = 0; i < 150; i++) dflt.add({ requestId: String(i) });
    expect(dflt.size).toBe(100);
  });

  it("records nothing when disabled", () => {
    const store = createTelemetryStore({ enabled: false });
    store.add({ requestId: "a" });
    expect(store.size).toBe(0);
    expect(store.take()).toEqual([]);
    expect(store.enabled).toBe(false);
  });
});

describe("telemetryEntryFor", () => {
  it("builds the reference entry shape with counted request features and 2-decimal numbers", () => {
    const entry = telemetryEntryFor({
      request: {
        requestId: "r1",
        execute: { pageLoad: {}, mboxes: [{ name: "a" }, { name: "b" }] },
        prefetch: { views: [{ name: "v" }] },
      },
      response: { edgeHost: "mboxedge28.tt.omtrdc.net", telemetryServerToken: "tok" },
      execution: 12.34567,
      parsing: 0.123,
      decisioningMethod: "server-side",
      timestamp: 1700000000000,
    });
    expect(entry).toEqual({
      execution: 12.35,
      parsing: 0.12,
      telemetryServerToken: "tok",
      mode: "edge",
      features: { executePageLoad: true, executeMboxCount: 2, prefetchViewCount: 1, decisioningMethod: "server-side" },
      requestId: "r1",
      timestamp: 1700000000000,
    });
  });

  it("uses mode local without edgeHost and omits zero counts and absent parsing", () => {
    const entry = telemetryEntryFor({
      request: { requestId: "r2", prefetch: { pageLoad: {}, mboxes: [{ name: "m" }], views: [] }, execute: { mboxes: [] } },
      response: {},
      execution: 3,
      decisioningMethod: "on-device",
      timestamp: 5,
    });
    expect(entry).toEqual({
      execution: 3,
      mode: "local",
      features: { prefetchPageLoad: true, prefetchMboxCount: 1, decisioningMethod: "on-device" },
      requestId: "r2",
      timestamp: 5,
    });
    expect("parsing" in entry).toBe(false);
  });

  it("honours an explicit mode and rounds request timings", () => {
    const entry = telemetryEntryFor({
      request: {},
      response: { edgeHost: "x" },
      mode: "local",
      execution: 1,
      requestTimings: { dns: 1.234, tls: 0, timeToFirstByte: 5.556 },
      decisioningMethod: "hybrid",
      timestamp: 0,
    });
    expect(entry.mode).toBe("local");
    expect(entry.request).toEqual({ dns: 1.23, timeToFirstByte: 5.56 });
  });

  it("builds the artifact download entry", () => {
    expect(artifactTelemetryEntry({ execution: 10.111, parsing: 2.226, timestamp: 9 })).toEqual({
      execution: 10.11,
      parsing: 2.23,
      requestId: "ArtifactDownload",
      timestamp: 9,
    });
  });
});
