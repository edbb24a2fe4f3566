import { describe, expect, it } from "vitest";
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_NOTIFICATION_CONCURRENCY,
  defaultNotificationCapacity,
  findPackageRoot,
  parseByteSize,
  resolveServerConfig,
} from "../../src/server/config";
import { ROOT, SAMPLE_ARTIFACT } from "./support";

const sample = { sampleArtifact: SAMPLE_ARTIFACT };

describe("resolveServerConfig", () => {
  it("defaults to the bundled sample, on-device, remote calls off, port 8080 on loopback", () => {
    const c = resolveServerConfig({}, {}, sample);
    expect(c).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      artifact: SAMPLE_ARTIFACT,
      artifactIsSample: true,
      client: "demo",
      organizationId: "DEMO0000000000000000000@AdobeOrg",
      decisioningMethod: "on-device",
      upstream: "off",
      bodyLimit: DEFAULT_BODY_LIMIT,
      notificationConcurrency: DEFAULT_NOTIFICATION_CONCURRENCY,
      logLevel: "info",
      accessLog: "summary",
    });
  });

  it("sizes the default notification capacity from the heap limit: a quarter, 64 MiB to 1 GiB", () => {
    const mib = 1024 * 1024;
    expect(defaultNotificationCapacity(4144 * mib)).toBe(1024 * mib);
    expect(defaultNotificationCapacity(1024 * mib)).toBe(256 * mib);
    expect(defaultNotificationCapacity(200 * mib)).toBe(64 * mib);
    expect(resolveServerConfig({}, {}).notificationCapacity).toBe(defaultNotificationCapacity());
    expect(resolveServerConfig({ "notification-capacity": "300mb" }, {}).notificationCapacity).toBe(300 * mib);
  });

  it("runs outbound HTTP on a worker thread unless told off", () => {
    expect(resolveServerConfig({}, {}).outboundThread).toBe(true);
    expect(resolveServerConfig({}, { ODD_OUTBOUND_THREAD: "off" }).outboundThread).toBe(false);
    expect(resolveServerConfig({ "outbound-thread": "OFF" }, {}).outboundThread).toBe(false);
    expect(() => resolveServerConfig({ "outbound-thread": "maybe" }, {})).toThrow(/outbound-thread must be on or off/);
  });

  it("finds the bundled sample from the package root", () => {
    expect(findPackageRoot([ROOT])).toBe(ROOT);
    expect(resolveServerConfig({}, {}).artifact).toBe(SAMPLE_ARTIFACT);
  });

  it("reads environment variables; flags win over them", () => {
    const env = {
      PORT: "9000",
      HOST: "0.0.0.0",
      ODD_CLIENT: "acme",
      ODD_ORG_ID: "ACME@AdobeOrg",
      LOG_LEVEL: "WARN",
      ODD_BODY_LIMIT: "64kb",
    };
    const c = resolveServerConfig({ port: "9001", artifact: SAMPLE_ARTIFACT }, env);
    expect(c).toMatchObject({
      port: 9001,
      host: "0.0.0.0",
      client: "acme",
      organizationId: "ACME@AdobeOrg",
      logLevel: "warn",
      accessLog: "summary",
      bodyLimit: 65536,
    });
    expect(c.artifactIsSample).toBe(false);
    expect(c.upstream).toBeUndefined(); // a configured artifact talks to Adobe's edge unless told otherwise
  });

  it("decides hybrid when an upstream is configured, unless a method is given", () => {
    const hybrid = resolveServerConfig({ upstream: "http://127.0.0.1:9999/base/" }, {}, sample);
    expect(hybrid.decisioningMethod).toBe("hybrid");
    expect(String(hybrid.upstream)).toBe("http://127.0.0.1:9999/base/");
    expect(
      resolveServerConfig({}, { ODD_UPSTREAM: "http://x.test", ODD_DECISIONING_METHOD: "on-device" }, sample)
        .decisioningMethod,
    ).toBe("on-device");
  });

  it.each([
    [{ port: "70000" }, {}, "port"],
    [{ port: "80a" }, {}, "port"],
    [{ method: "local" }, {}, "decisioningMethod"],
    [{ upstream: "ftp://x" }, {}, "upstream"],
    [{ upstream: "http://u:p@x" }, {}, "upstream"],
    [{}, { LOG_LEVEL: "verbose" }, "logLevel"],
    [{}, { ODD_BODY_LIMIT: "1gb" }, "body-limit"],
    [{}, { ODD_POLLING_INTERVAL: "-1" }, "polling-interval"],
    [{}, { ODD_NOTIFICATION_CONCURRENCY: "0" }, "notification-concurrency"],
    [{ artifact: "https://cdn.test/rules.json" }, {}, "client"],
    [{ artifact: "https://cdn.test/rules.json", client: "c" }, {}, "organizationId"],
  ])("rejects %o %o (%s) with ODE_ERR_INVALID_OPTION", (flags, env, option) => {
    try {
      resolveServerConfig(flags, env, sample);
      expect.unreachable();
    } catch (err: any) {
      expect(err.code).toBe("ODE_ERR_INVALID_OPTION");
      expect(err.details.option).toBe(option);
    }
  });

  it("parses byte sizes", () => {
    expect(parseByteSize("1048576")).toBe(1048576);
    expect(parseByteSize("512kb")).toBe(524288);
    expect(parseByteSize("2 MiB")).toBe(2097152);
    expect(() => parseByteSize("0")).toThrow();
    expect(() => parseByteSize("ten")).toThrow();
  });
});
