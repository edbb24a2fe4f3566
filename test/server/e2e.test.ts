/**
 * End to end: the real service process (`odd serve`), real HTTP on 127.0.0.1, a recording
 * stand-in for the upstream Delivery API, and a real SIGTERM.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  cliInvocation,
  postDelivery,
  requestedMboxes,
  SAMPLE_ARTIFACT,
  startServiceProcess,
  spawnLogging,
  startUpstream,
  stopStarted,
  type ServiceProcess,
  type UpstreamStandIn,
} from "./support";

const HERO = { execute: { mboxes: [{ name: "hero", index: 1 }] } };
const MIXED = {
  id: { tntId: "e2e-visitor-1" },
  execute: {
    mboxes: [
      { name: "hero", index: 1 },
      { name: "server-side-only", index: 2 },
    ],
  },
};

let service: ServiceProcess | undefined;
let upstream: UpstreamStandIn | undefined;

afterEach(async () => {
  await stopStarted(service, upstream);
  service = undefined;
  upstream = undefined;
});

const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

describe(`odd serve as a process (${cliInvocation().kind})`, () => {
  it("decides on-device, rejects bad input, exposes metrics, and delivers queued notifications on SIGTERM", async () => {
    upstream = await startUpstream();
    service = await startServiceProcess({
      ODD_ARTIFACT: SAMPLE_ARTIFACT,
      ODD_DECISIONING_METHOD: "on-device",
      ODD_UPSTREAM: upstream.url,
      ODD_NOTIFICATION_FLUSH_INTERVAL: "600000",
    });

    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    const ready = await fetch(`${service.url}/ready`);
    const readyBody = (await ready.json()) as any;
    expect(readyBody).toMatchObject({
      ready: true,
      decisioningMethod: "on-device",
      artifact: { version: "1.0.0", source: "file" },
    });
    expect(readyBody.artifact.ageMs).toBeGreaterThanOrEqual(0);

    const res = await postDelivery(service.url, HERO, "?client=demo&sessionId=e2e-session-1");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-odd-decisioning-method")).toBe("on-device");
    const body = (await res.json()) as any;
    expect(body.client).toBe("demo");
    expect(body.execute.mboxes[0]).toMatchObject({ name: "hero", index: 1 });
    expect(body.execute.mboxes[0].options.length).toBeGreaterThan(0);
    expect(body.id.tntId).toEqual(expect.any(String));

    const mixed = await postDelivery(service.url, MIXED);
    expect(mixed.headers.get("x-odd-remote-mboxes")).toBe("server-side-only");
    await mixed.arrayBuffer();

    const malformed = await postDelivery(service.url, '{"execute": {');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ status: 400, code: "ODE_ERR_INVALID_REQUEST" });
    const oversized = await postDelivery(service.url, { padding: "x".repeat(1024 * 1024 + 10) });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ status: 413, code: "ODE_ERR_INVALID_REQUEST" });

    const metrics = await fetch(`${service.url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await metrics.text();
    for (const line of text
      .trim()
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#")))
      expect(line).toMatch(SAMPLE_LINE);
    expect(text).toContain('odd_decisions_total{method="on-device",outcome="ok"} 2');
    expect(text).toMatch(/odd_artifact_info\{version="1\.0\.0",generated_at="[^"]*",source="file"\} 1/);
    // One process by default (--workers 1), so one download.
    expect(text).toContain('odd_artifact_downloads_total{outcome="success"} 1');
    expect(text).toMatch(/odd_notifications_queued [1-9]/);
    expect(text).toContain('odd_http_requests_total{route="/rest/v1/delivery",method="POST",status="413"} 1');

    // The flush interval is 10 minutes: nothing has been sent yet; SIGTERM must deliver it.
    expect(upstream.requests.filter((r) => r.body?.notifications)).toHaveLength(0);
    service.child.kill("SIGTERM");
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const delivered = upstream.requests.filter((r) => Array.isArray(r.body?.notifications));
    expect(delivered.length).toBeGreaterThan(0);
    const notified = delivered.flatMap((r) => r.body.notifications.map((n: any) => n.mbox?.name));
    expect(notified).toContain("hero");
    expect(delivered.every((r) => r.path === "/rest/v1/delivery" && r.query.imsOrgId)).toBe(true);
    expect(service.logs.some((l) => l.msg === "stopped")).toBe(true);
    // Request logs carry no bodies and no query strings (session ids).
    expect(service.output()).not.toContain("e2e-session-1");
    expect(service.output()).not.toContain("xxxxxxxxxx");
  });

  it("in hybrid mode sends only the remote mboxes upstream and merges the answers", async () => {
    upstream = await startUpstream();
    service = await startServiceProcess({ ODD_ARTIFACT: SAMPLE_ARTIFACT, ODD_UPSTREAM: upstream.url });

    const res = await postDelivery(service.url, MIXED, "?sessionId=hybrid-1");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-odd-decisioning-method")).toBe("hybrid");
    expect(res.headers.get("x-odd-remote-mboxes")).toBe("server-side-only");
    const body = (await res.json()) as any;
    const byName = Object.fromEntries(body.execute.mboxes.map((m: any) => [m.name, m]));
    expect(byName["server-side-only"].options[0].content).toEqual({
      from: "upstream",
      mbox: "server-side-only",
    });
    expect(byName.hero.options[0].content).not.toHaveProperty("from");

    const decided = upstream.requests.filter((r) => requestedMboxes(r).length > 0);
    expect(decided).toHaveLength(1);
    expect(requestedMboxes(decided[0]!)).toEqual(["server-side-only"]);
    expect(decided[0]!.query.sessionId).toBe("hybrid-1");

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('odd_decisions_total{method="hybrid",outcome="ok"} 1');
    expect(metrics).toContain('odd_remote_calls_total{outcome="ok"} 1');
    expect(metrics).toMatch(/odd_outbound_requests_total\{endpoint="delivery",outcome="2xx"\} [1-9]/);

    service.child.kill("SIGTERM");
    expect(await service.exited).toEqual({ code: 0, signal: null });
  });

  it("answers 503 (ready and decisions) while no artifact could be loaded, and still stops cleanly", async () => {
    upstream = await startUpstream(); // answers the artifact download with a body that is not an artifact
    const proc = spawnLogging(process.execPath, [...cliInvocation().args, "serve"], {
      PORT: "0",
      LOG_LEVEL: "info",
      ODD_ARTIFACT: `${upstream.url}/demo/production/v1/rules.json`,
      ODD_CLIENT: "demo",
      ODD_ORG_ID: "DEMO@AdobeOrg",
      ODD_UPSTREAM: "off",
    });
    const url = String((await proc.waitForLog("listening")).url);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, decisioningMethod: "on-device" });
    const res = await postDelivery(url, HERO);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ status: 503, code: "ODE_ERR_NOT_READY" });
    expect(upstream.requests.some((r) => r.method === "GET" && r.path.endsWith("/rules.json"))).toBe(true);
    proc.child.kill("SIGINT");
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});
