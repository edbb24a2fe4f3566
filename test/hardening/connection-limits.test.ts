/**
 * Issue 10, item 2: slow and idle clients cannot hold connections. The real service on
 * 127.0.0.1 with short limits; raw TCP sockets play the slow clients.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resolveServerConfig } from "../../src/server/index";
import { connectionsCheckingInterval } from "../../src/server/limits";
import { SAMPLE_ARTIFACT } from "../server/support";
import { rawConnect, sleep, startCapturedService, within, type CapturedService, type RawClient } from "./support";

let service: CapturedService | undefined;
const sockets: RawClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.socket.destroy();
  await service?.close();
  service = undefined;
});

async function connect(url: string): Promise<RawClient> {
  const client = await rawConnect(url);
  sockets.push(client);
  return client;
}

const HEAD = "POST /rest/v1/delivery HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";

describe("request, header and idle timeouts", () => {
  it("closes a client that sends its body one byte at a time, and keeps serving others", async () => {
    service = await startCapturedService({ "request-timeout": "800", "idle-timeout": "5000" });
    const slow = await connect(service.url);
    slow.socket.write(HEAD);
    const drip = setInterval(() => slow.socket.writable && slow.socket.write("{"), 100);
    try {
      const elapsed = await within(slow.closed, 5000);
      expect(elapsed, "the slow request was never cut").not.toBe("pending");
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });

  it("closes a client that never finishes its headers", async () => {
    service = await startCapturedService({ "request-timeout": "2000", "headers-timeout": "500" });
    const slow = await connect(service.url);
    slow.socket.write("POST /rest/v1/delivery HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => slow.socket.writable && slow.socket.write("X-A: b\r\n"), 100);
    try {
      expect(await within(slow.closed, 5000)).not.toBe("pending");
    } finally {
      clearInterval(drip);
    }
  });

  it("closes a connection that goes silent in the middle of a request", async () => {
    service = await startCapturedService({ "request-timeout": "0", "headers-timeout": "0", "idle-timeout": "400" });
    const silent = await connect(service.url);
    silent.socket.write(HEAD);
    expect(await within(silent.closed, 5000)).not.toBe("pending");
  });
});

describe("connection cap", () => {
  it("refuses connections above max-connections (one log line), and serves again once slots free", async () => {
    service = await startCapturedService({ "max-connections": "3", "request-timeout": "1500" });
    const held = await Promise.all([0, 1, 2].map(() => connect(service!.url)));
    for (const h of held) h.socket.write(HEAD);
    await sleep(100);
    const extra = await Promise.all([0, 1, 2, 3].map(() => connect(service!.url)));
    for (const e of extra) expect(await within(e.closed, 2000)).not.toBe("pending");
    const refused = service.lines.filter((l) => l.msg === "connection limit reached: connections refused");
    expect(refused).toHaveLength(1);
    // The held requests time out; then the service answers again.
    for (const h of held) expect(await within(h.closed, 5000)).not.toBe("pending");
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });
});

describe("configuration", () => {
  const resolve = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    resolveServerConfig({ artifact: SAMPLE_ARTIFACT, ...flags }, env);

  it("has bounded defaults", () => {
    const c = resolve({});
    expect(c).toMatchObject({
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      idleTimeout: 10_000,
      keepAliveTimeout: 72_000,
      maxConnections: 512,
    });
    expect(connectionsCheckingInterval(c)).toBe(1000);
  });

  it("reads flags and environment variables", () => {
    const c = resolve(
      { "request-timeout": "3000" },
      { ODD_HEADERS_TIMEOUT: "2000", ODD_IDLE_TIMEOUT: "0", ODD_KEEP_ALIVE_TIMEOUT: "5000", ODD_MAX_CONNECTIONS: "64" },
    );
    expect(c).toMatchObject({ requestTimeout: 3000, headersTimeout: 2000, idleTimeout: 0, keepAliveTimeout: 5000, maxConnections: 64 });
    // A request timeout below the default headers timeout lowers it.
    expect(resolve({ "request-timeout": "800" }).headersTimeout).toBe(800);
  });

  it("rejects bad values with ODE_ERR_INVALID_OPTION", () => {
    for (const flags of <Record<string, string>[]>[
      { "request-timeout": "-1" },
      { "request-timeout": "1000", "headers-timeout": "2000" },
      { "max-connections": "0" },
      { "keep-alive-timeout": "0" },
      { "idle-timeout": "soon" },
    ]) {
      expect(() => resolve(flags), JSON.stringify(flags)).toThrow(expect.objectContaining({ code: "ODE_ERR_INVALID_OPTION" }));
    }
  });
});
