import type { FastifyPluginAsync, onRequestHookHandler } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { buildApp, type DecisionClient, type ServicePlugin } from "../../src/server/app";
import { createLogger } from "../../src/server/logging";
import { createServiceMetrics } from "../../src/server/metrics";

/** The plugin slot: an extra API gets its own prefix and hooks, and shares the error mapper. */
const client: DecisionClient & { on: () => () => void } = {
  getOffers: async () => Promise.reject(new DecisioningError("ODE_ERR_NOT_READY", "not ready")),
  sendNotifications: async () => Promise.reject(new DecisioningError("ODE_ERR_NOT_READY", "not ready")),
  status: () => ({
    ready: true,
    closed: false,
    decisioningMethod: "server-side",
    fresh: true,
    notifications: { sent: 0, failed: 0, dropped: 0, inFlight: 0, queued: 0, sentNotifications: 0, failedNotifications: 0 },
  }),
  on: () => () => undefined,
};

const itemsPlugin: FastifyPluginAsync<{ items: string[] }> = async (app, o) => {
  app.get("/items", async () => ({ items: o.items }));
  app.post("/items", async (request) => {
    const body = request.body as { name?: unknown };
    if (typeof body?.name !== "string") throw new DecisioningError("ODE_ERR_INVALID_REQUEST", "name is required");
    return { created: body.name };
  });
};

const requireToken: onRequestHookHandler = async (request, reply) => {
  if (request.headers.authorization !== "Bearer secret") await reply.code(401).send({ status: 401, message: "token required" });
};

const apps: ReturnType<typeof buildApp>[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function appWith(plugins: ServicePlugin<any>[]) {
  const app = buildApp({
    client,
    clientCode: "demo",
    organizationId: "ORG@AdobeOrg",
    logger: createLogger("silent"),
    metrics: createServiceMetrics(client),
    bodyLimit: 1024,
    plugins,
  });
  apps.push(app);
  return app;
}

describe("service plugins", () => {
  it("mounts an extra API under its prefix with its options, beside the built-in ones", async () => {
    const app = appWith([{ name: "items", plugin: itemsPlugin, options: { items: ["a"] }, prefix: "/data/core/xcore" }]);
    const res = await app.inject({ method: "GET", url: "/data/core/xcore/items" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: ["a"] });
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("applies a plugin's onRequest hook to that plugin's routes only", async () => {
    const app = appWith([
      { name: "items", plugin: itemsPlugin, options: { items: [] }, prefix: "/admin", onRequest: [requireToken] },
    ]);
    expect((await app.inject({ method: "GET", url: "/admin/items" })).statusCode).toBe(401);
    const ok = await app.inject({ method: "GET", url: "/admin/items", headers: { authorization: "Bearer secret" } });
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
  });

  it("maps a plugin's coded errors through the shared error mapper", async () => {
    const app = appWith([{ name: "items", plugin: itemsPlugin, options: { items: [] }, prefix: "/x" }]);
    const res = await app.inject({ method: "POST", url: "/x/items", payload: { nope: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ status: 400, code: "ODE_ERR_INVALID_REQUEST", message: "name is required" });
    const delivery = await app.inject({ method: "POST", url: "/rest/v1/delivery", payload: { execute: { pageLoad: {} } } });
    expect(delivery.statusCode).toBe(503);
    expect(delivery.json().code).toBe("ODE_ERR_NOT_READY");
  });
});
