/**
 * The operations plugin: `GET /health` (the process answers), `GET /ready` (the client can decide
 * with a fresh artifact; 503 otherwise) and `GET /metrics` (Prometheus text).
 */
import type { FastifyPluginAsync } from "fastify";
import type { ServiceMetrics } from "../metrics";
import { PROMETHEUS_CONTENT_TYPE } from "../prometheus";
import type { DecisionClient } from "./delivery";

export interface OperationsPluginOptions {
  client: Pick<DecisionClient, "status">;
  metrics: ServiceMetrics;
  now: () => number;
}

function readiness(client: OperationsPluginOptions["client"], now: number) {
  const s = client.status();
  const ready = s.ready && !s.closed && s.fresh && (s.artifact !== undefined || s.decisioningMethod === "server-side");
  const artifact = s.artifact && {
    version: s.artifact.version,
    ...(s.artifact.generatedAt ? { generatedAt: s.artifact.generatedAt } : {}),
    ...(s.artifact.etag ? { etag: s.artifact.etag } : {}),
    source: s.artifact.source,
    retrievedAt: new Date(s.artifact.retrievedAt).toISOString(),
    ageMs: Math.max(0, now - s.artifact.retrievedAt),
  };
  return {
    ready,
    body: { ready, decisioningMethod: s.decisioningMethod, closed: s.closed, fresh: s.fresh, ...(artifact ? { artifact } : {}) },
  };
}

export const operationsPlugin: FastifyPluginAsync<OperationsPluginOptions> = async (app, o) => {
  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async (_request, reply) => {
    const { ready, body } = readiness(o.client, o.now());
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get("/metrics", async (request, reply) => {
    // Diagnostics for load tests: with node --expose-gc, `?gc=1` collects garbage first so the heap
    // gauge shows live memory. Without --expose-gc the parameter does nothing.
    const gc = (globalThis as { gc?: () => void }).gc;
    if ((request.query as Record<string, unknown> | undefined)?.gc === "1" && typeof gc === "function") gc();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(o.metrics.render());
  });
};
