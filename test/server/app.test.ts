import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FastifyInstance } from "fastify";
import { TargetClient } from "../../src/client";
import { DecisioningError } from "../../src/errors";
import type { AccessLogMode } from "../../src/server/access-log";
import { buildApp, type DecisionClient } from "../../src/server/app";
import { createLogger } from "../../src/server/logging";
import { createServiceMetrics } from "../../src/server/metrics";
import { createOutboundFetch } from "../../src/server/outbound";
import { fakeFetch, json } from "../support/fake-fetch";
import { SAMPLE_ARTIFACT } from "./support";

const artifact = JSON.parse(readFileSync(SAMPLE_ARTIFACT, "utf8"));
const ORG = artifact.meta.organizationId as string;
const HERO = { execute: { mboxes: [{ name: "hero", index: 1 }] } };

const open: { app: FastifyInstance; client?: TargetClient }[] = [];
afterEach(async () => {
  for (const { app, client } of open.splice(0)) {
    await app.close();
    await client?.close();
  }
});

function logSink() {
  const lines: any[] = [];
  return { lines, logger: createLogger("debug", { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

/** The app over a real client (sample artifact as payload) whose Delivery calls hit a fake upstream. */
async function realApp(
  options: {
    bodyLimit?: number;
    method?: "on-device" | "hybrid";
    failing?: boolean;
    accessLog?: AccessLogMode;
    accessLogIntervalMs?: number;
  } = {},
) {
  const upstream = fakeFetch({
    "POST https://upstream.test/rest/v1/delivery": (call) =>
      options.failing
        ? json({ message: "bad" }, { status: 400 })
        : json({
            status: 200,
            requestId: call.body.requestId,
            id: call.body.id,
            execute: call.body.execute
              ? {
                  mboxes: call.body.execute.mboxes.map((m: any) => ({
                    ...m,
                    options: [{ type: "json", content: { remote: true } }],
                  })),
                }
              : undefined,
          }),
  });
  const outbound = createOutboundFetch({ upstream: new URL("https://upstream.test"), fetch: upstream });
  const client = TargetClient.create({
    client: "demo",
    organizationId: ORG,
    decisioningMethod: options.method ?? "on-device",
    artifactPayload: artifact,
    fetchApi: outbound.fetch,
    telemetryEnabled: false,
    notificationFlushInterval: 600_000,
  });
  await client.ready({ timeout: 5000 });
  const sink = logSink();
  const metrics = createServiceMetrics(client);
  const app = buildApp({
    client,
    clientCode: "demo",
    organizationId: ORG,
    logger: sink.logger,
    metrics,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ...(options.accessLog ? { accessLog: options.accessLog } : {}),
    ...(options.accessLogIntervalMs ? { accessLogIntervalMs: options.accessLogIntervalMs } : {}),
  });
  open.push({ app, client });
  return { app, client, upstream, logs: sink.lines };
}

/** The app over a fake client whose getOffers fails with `error`. */
function failingApp(error: unknown) {
  const client: DecisionClient & { on: TargetClient["on"] } = {
    getOffers: async () => Promise.reject(error),
    sendNotifications: async () => Promise.reject(error),
    status: () => ({
      ready: false,
      closed: false,
      decisioningMethod: "on-device",
      fresh: true,
      notifications: {
        sent: 0,
        failed: 0,
        dropped: 0,
        inFlight: 0,
        queued: 0,
        queuedBytes: 0,
        lostNotifications: 0,
        spooledNotifications: 0,
        upstreamDown: false,
        sentNotifications: 0,
        failedNotifications: 0,
      },
    }),
    on: () => () => undefined,
  };
  const app = buildApp({
    client,
    clientCode: "demo",
    organizationId: ORG,
    logger: createLogger("silent"),
    metrics: createServiceMetrics(client),
    bodyLimit: 1024,
  });
  open.push({ app });
  return app;
}

const post = (
  app: FastifyInstance,
  payload: unknown,
  url = "/rest/v1/delivery",
  headers: Record<string, string> = {},
) =>
  app.inject({
    method: "POST",
    url,
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    headers: { "content-type": "application/json", ...headers },
  });

describe("POST /rest/v1/delivery", () => {
  it("answers the Delivery response with the decisioning headers", async () => {
    const { app } = await realApp();
    const res = await post(
      app,
      HERO,
      "/rest/v1/delivery?client=demo&imsOrgId=" + encodeURIComponent(ORG) + "&sessionId=s-1",
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-odd-decisioning-method"]).toBe("on-device");
    expect(res.headers["x-odd-remote-mboxes"]).toBe("");
    expect(res.headers["x-odd-artifact-version"]).toBe("1.0.0");
    const body = res.json();
    expect(body).toMatchObject({
      status: 200,
      client: "demo",
      execute: { mboxes: [{ name: "hero", index: 1 }] },
    });
    expect(body).not.toHaveProperty("remoteMboxes");
  });

  it("accepts at.js's text/plain bodies and a trailing slash", async () => {
    const { app } = await realApp();
    const res = await post(app, HERO, "/rest/v1/delivery/", { "content-type": "text/plain" });
    expect(res.statusCode).toBe(200);
  });

  it("lists remote mboxes in x-odd-remote-mboxes, percent-encoded", async () => {
    const { app } = await realApp();
    const res = await post(app, {
      execute: {
        mboxes: [
          { name: "server-side-only", index: 1 },
          { name: "a,b é", index: 2 },
        ],
      },
    });
    // Mboxes the artifact does not know are remote too.
    expect(res.headers["x-odd-remote-mboxes"]).toBe("server-side-only,a%2Cb%20%C3%A9");
    expect(res.json().status).toBe(206);
  });

  it("in hybrid mode fetches only the remote mboxes from the upstream", async () => {
    const { app, upstream } = await realApp({ method: "hybrid" });
    const res = await post(app, {
      execute: {
        mboxes: [
          { name: "hero", index: 1 },
          { name: "server-side-only", index: 2 },
        ],
      },
    });
    expect(res.headers["x-odd-decisioning-method"]).toBe("hybrid");
    const decided = upstream.calls.filter((c) => c.body?.execute);
    expect(decided.map((c) => c.body.execute.mboxes.map((m: any) => m.name))).toEqual([["server-side-only"]]);
    expect(res.json().execute.mboxes.map((m: any) => m.name)).toEqual(["hero", "server-side-only"]);
  });

  it("in hybrid mode answers the local part when the remote part fails, flagged by x-odd-remote-error", async () => {
    const { app } = await realApp({ method: "hybrid", failing: true });
    const res = await post(app, {
      execute: {
        mboxes: [
          { name: "hero", index: 1 },
          { name: "server-side-only", index: 2 },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-odd-remote-error"]).toBe("ODE_ERR_HTTP_STATUS");
    expect(res.json().execute.mboxes[0].options.length).toBeGreaterThan(0);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toContain('odd_decisions_total{method="hybrid",outcome="partial"} 1');
    expect(metrics).toContain('odd_remote_calls_total{outcome="error"} 1');
  });

  it("forwards notifications through the client's queue", async () => {
    const { app, upstream } = await realApp();
    const notification = {
      id: "n-1",
      type: "click",
      timestamp: Date.now(),
      mbox: { name: "hero" },
      tokens: ["t-1"],
    };
    const res = await post(
      app,
      { id: { tntId: "v-1" }, notifications: [notification] },
      "/rest/v1/delivery?sessionId=s-2",
    );
    expect(res.statusCode).toBe(200);
    const sent = upstream.calls.filter((c) => Array.isArray(c.body?.notifications));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.notifications[0]).toMatchObject({ id: "n-1", type: "click", tokens: ["t-1"] });
    expect(sent[0]!.url).toContain("sessionId=s-2");
  });

  it.each([
    ["malformed JSON", '{"execute": ', 400],
    ["an empty body", "", 400],
    ["a JSON array", "[1,2]", 400],
    ["a __proto__ key", '{"__proto__": {"polluted": true}}', 400],
    ["an empty request", "{}", 400],
    ["execute without mboxes or pageLoad", '{"execute": {"mboxes": []}}', 400],
  ])("rejects %s with 400 ODE_ERR_INVALID_REQUEST", async (_name, payload, status) => {
    const { app } = await realApp();
    const res = await post(app, payload);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ status, code: "ODE_ERR_INVALID_REQUEST", message: expect.any(String) });
    expect(({} as any).polluted).toBeUndefined();
  });

  it.each([
    ["an unknown client", "?client=other"],
    ["another organization", "?imsOrgId=OTHER@AdobeOrg"],
    ["a session id with spaces", "?sessionId=a%20b"],
    ["a session id too long", `?sessionId=${"a".repeat(129)}`],
  ])("rejects %s with 400", async (_name, query) => {
    const { app } = await realApp();
    const res = await post(app, HERO, `/rest/v1/delivery${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("ODE_ERR_INVALID_REQUEST");
  });

  it("rejects a body over the limit with 413 and a coded body", async () => {
    const { app } = await realApp({ bodyLimit: 200 });
    const res = await post(app, { ...HERO, padding: "x".repeat(300) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      status: 413,
      code: "ODE_ERR_INVALID_REQUEST",
      message: "The request body exceeds the limit of 200 bytes",
    });
  });

  it.each([
    [new DecisioningError("ODE_ERR_NOT_READY", "not ready"), 503, "1"],
    [new DecisioningError("ODE_ERR_ARTIFACT_STALE", "stale"), 503, "5"],
    [new DecisioningError("ODE_ERR_CLOSED", "closed"), 503, "5"],
    [new DecisioningError("ODE_ERR_TIMEOUT", "slow upstream"), 504, undefined],
    [new DecisioningError("ODE_ERR_NETWORK", "refused"), 502, undefined],
    [new DecisioningError("ODE_ERR_HTTP_STATUS", "upstream said 400", { status: 400 }), 400, undefined],
    [new DecisioningError("ODE_ERR_HTTP_STATUS", "upstream said 500", { status: 500 }), 502, undefined],
    [new DecisioningError("ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED", "v2"), 500, undefined],
  ])("maps %s to its HTTP status", async (error, status, retryAfter) => {
    const res = await post(failingApp(error), HERO);
    expect(res.statusCode).toBe(status);
    expect(res.headers["retry-after"]).toBe(retryAfter);
    expect(res.json()).toEqual({ status, code: error.code, message: error.message });
  });

  it("answers 500 ODE_ERR_INTERNAL without revealing an unexpected error", async () => {
    const res = await post(failingApp(new TypeError("secret internals")), HERO);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: 500, code: "ODE_ERR_INTERNAL", message: "Internal server error" });
  });

  it("logs requests without bodies, query strings or headers", async () => {
    const { app, logs } = await realApp({ accessLog: "lines" });
    await post(
      app,
      { ...HERO, id: { thirdPartyId: "visitor-secret" } },
      "/rest/v1/delivery?sessionId=session-secret",
      {
        authorization: "Bearer token-secret",
      },
    );
    const completed = logs.filter((l) => l.msg === "request completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      method: "POST",
      route: "/rest/v1/delivery",
      status: 200,
      level: "info",
    });
    const all = JSON.stringify(logs);
    for (const secret of ["visitor-secret", "session-secret", "token-secret"])
      expect(all).not.toContain(secret);
  });

  it("by default counts requests and logs one summary per interval, 5xx still line by line", async () => {
    const { app, logs } = await realApp({ accessLogIntervalMs: 50 });
    await post(app, HERO);
    await post(app, HERO);
    await post(app, { execute: "not a list" });
    await app.inject({ method: "GET", url: "/health" });
    expect(logs.filter((l) => l.msg === "request completed" && l.level === "info")).toEqual([]);
    await vi.waitFor(() => expect(logs.some((l) => l.msg === "requests served")).toBe(true));
    const summary = logs.find((l) => l.msg === "requests served")!;
    expect(summary).toMatchObject({
      level: "info",
      requests: 4,
      routes: { "POST /rest/v1/delivery": { "200": 2, "400": 1 }, "GET /health": { "200": 1 } },
    });
    const served = logs.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(logs.length).toBe(served); // nothing served since: no empty summary
  });

  it("logs what was counted since the last summary when the app closes", async () => {
    const { app, logs } = await realApp({ accessLogIntervalMs: 600_000 });
    await post(app, HERO);
    expect(logs.some((l) => l.msg === "requests served")).toBe(false);
    await app.close();
    expect(logs.filter((l) => l.msg === "requests served")).toEqual([
      expect.objectContaining({ requests: 1, routes: { "POST /rest/v1/delivery": { "200": 1 } } }),
    ]);
  });
});

describe("health, readiness, metrics, unknown routes", () => {
  it("GET /health is 200 even when not ready; /ready is 503 until then", async () => {
    const app = failingApp(new Error("unused"));
    expect((await app.inject({ url: "/health" })).statusCode).toBe(200);
    const ready = await app.inject({ url: "/ready" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false });
  });

  it("GET /ready reports the artifact when ready", async () => {
    const { app } = await realApp();
    const res = await app.inject({ url: "/ready" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ready: true,
      decisioningMethod: "on-device",
      artifact: {
        version: "1.0.0",
        generatedAt: artifact.meta.generatedAt,
        source: "payload",
        ageMs: expect.any(Number),
      },
    });
  });

  it("GET /metrics counts decisions by method and outcome and errors by code", async () => {
    const { app } = await realApp();
    await post(app, HERO);
    await post(app, HERO);
    await post(app, "{");
    const res = await app.inject({ url: "/metrics" });
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.body).toContain('odd_decisions_total{method="on-device",outcome="ok"} 2');
    expect(res.body).toContain('odd_decision_duration_seconds_count{method="on-device"} 2');
    expect(res.body).toContain(
      'odd_http_requests_total{route="/rest/v1/delivery",method="POST",status="400"} 1',
    );
    expect(res.body).toContain("odd_notifications_queued 2");
    expect(res.body).toContain("odd_artifact_loaded 1");

    const failing = failingApp(new DecisioningError("ODE_ERR_NOT_READY", "x"));
    await post(failing, HERO);
    const text = (await failing.inject({ url: "/metrics" })).body;
    expect(text).toContain('odd_decisions_total{method="on-device",outcome="error"} 1');
    expect(text).toContain('odd_decision_errors_total{code="ODE_ERR_NOT_READY"} 1');
    expect(text).toContain("odd_artifact_loaded 0");
  });

  it("answers unknown routes with a coded 404", async () => {
    const app = failingApp(new Error("unused"));
    const res = await app.inject({ url: "/rest/v1/other?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      status: 404,
      code: "ODE_ERR_INVALID_REQUEST",
      message: "No route for GET /rest/v1/other",
    });
  });
});
