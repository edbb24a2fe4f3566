/**
 * The two comparison servers of `npm run bench:service`, each run as its own process:
 *
 * - `--kind floor`: fastify answering a canned Delivery response after parsing the body (the most
 *   any service on this HTTP stack can do);
 * - `--kind notify-floor`: the floor, and per request one display notification POSTed to `--upstream`
 *   after the answer (a Delivery request of a real notification's size, serialised per request,
 *   sent through an undici keep-alive pool): the most a service on this HTTP stack can do when each
 *   decision for a new visitor costs one outbound request, as it does for ours and the reference;
 * - `--kind reference`: `@adobe/target-nodejs-sdk` deciding on-device from the bundled sample behind
 *   the same fastify setup, its notifications sent to `--upstream` (the same stand-in as ours).
 *
 *   node --import tsx bench/service/servers.ts --kind floor|notify-floor|reference --port N [--upstream URL]
 *
 * All use the service's fastify settings: any content type parsed as JSON, 1 MB body limit, no
 * request logging.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { Agent, fetch as undiciFetch } from "undici";
import { ROOT } from "../lib/processes";

const { values } = parseArgs({
  options: {
    kind: { type: "string" },
    port: { type: "string", default: "0" },
    upstream: { type: "string" },
  },
});

const SAMPLE = JSON.parse(readFileSync(path.join(ROOT, "samples", "sample-artifact.json"), "utf8")) as {
  meta: { clientCode: string; organizationId: string };
  rules: { mboxes: Record<string, { consequence: { options: { eventToken: string }[] } }[]> };
};

/** What our service answers for one `hero` execute (shape and size of a real decision). */
const CANNED = {
  status: 200,
  requestId: "5a3e8f3fd3d94b1f8f0e8b1f8e2a9c11",
  id: { tntId: "visitor" },
  client: SAMPLE.meta.clientCode,
  execute: {
    mboxes: [
      {
        index: 1,
        name: "hero",
        options: [
          {
            type: "json",
            content: { headline: "Decide in microseconds", cta: "Get started" },
            responseTokens: {
              "activity.id": 100001,
              "activity.name": "Hero headline test",
              "experience.id": 0,
              "experience.name": "Control",
              "offer.id": 10000100,
              "option.id": 2,
              "activity.decisioningMethod": "on-device",
            },
          },
        ],
        metrics: [{ eventToken: "S+tdMwctDDmcJ+1d60qgYQ==", selector: "#hero-cta", type: "click" }],
      },
    ],
  },
};

type Decide = (body: Record<string, unknown>, sessionId: string | undefined) => Promise<unknown>;

/** The display token of the canned answer's experience (the sample's first `hero` rule). */
const DISPLAY_TOKEN = SAMPLE.rules.mboxes.hero![0]!.consequence.options[0]!.eventToken;

/**
 * The canned answer, then one display notification for the request's visitor sent to `upstream`
 * from this thread's undici pool. (Through the worker-thread pool `odd serve` uses, this floor was
 * lower: 10,240 req/s against 12,979–14,073 from this thread, npm run bench:service, 2026-12-05;
 * its own sends are too light to gain from a second thread.)
 */
function notifyFloorDecider(upstream: string): Decide {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  const origin = new URL(upstream).origin;
  let sequence = 0;
  const send = (body: Record<string, unknown>) => {
    const id = body.id as { tntId?: string } | undefined;
    const now = Date.now();
    const notification = {
      requestId: `floor-${process.pid}-${sequence++}`,
      id: { tntId: id?.tntId ?? "" },
      context: body.context,
      experienceCloud: { analytics: { logging: "server_side" } },
      notifications: [
        { id: `n-${process.pid}-${sequence}`, type: "display", timestamp: now, mbox: { name: "hero" }, tokens: [DISPLAY_TOKEN] },
      ],
    };
    agent
      .request({
        origin,
        path: `/rest/v1/delivery?client=${SAMPLE.meta.clientCode}&sessionId=floor-${sequence}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(notification),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      })
      .then((r) => r.body.dump())
      .catch((err: unknown) => process.stderr.write(`notify-floor: ${String(err)}\n`));
  };
  return async (body) => {
    setImmediate(send, body);
    return CANNED;
  };
}

function referenceDecider(upstream: string): Promise<Decide> {
  const Reference = createRequire(import.meta.url)("@adobe/target-nodejs-sdk");
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  const fetchApi = (url: string, init: Record<string, unknown>) =>
    undiciFetch(url, { ...init, dispatcher: agent });
  const target = new URL(upstream);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("reference client not ready within 60 s")), 60_000);
    const client = Reference.create({
      client: SAMPLE.meta.clientCode,
      organizationId: SAMPLE.meta.organizationId,
      decisioningMethod: "on-device",
      artifactPayload: SAMPLE,
      pollingInterval: 0,
      serverDomain: target.host,
      secure: target.protocol === "https:",
      fetchApi,
      logger: { debug() {}, error() {} },
      events: {
        clientReady: () => {
          clearTimeout(timer);
          resolve(async (request, sessionId) => {
            const result = await client.getOffers({ request, ...(sessionId ? { sessionId } : {}) });
            return result.response;
          });
        },
      },
    });
  });
}

async function main(): Promise<void> {
  const kind = values.kind;
  if (kind !== "floor" && kind !== "notify-floor" && kind !== "reference")
    throw new Error("--kind floor|notify-floor|reference");
  if (kind !== "floor" && !values.upstream) throw new Error(`--upstream is required for ${kind}`);
  const decide: Decide =
    kind === "floor"
      ? async () => CANNED
      : kind === "notify-floor"
        ? notifyFloorDecider(values.upstream!)
        : await referenceDecider(values.upstream!);

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, return503OnClosing: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  app.get("/ready", async () => ({ ready: true }));
  app.post("/rest/v1/delivery", async (request, reply) => {
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return reply.code(400).send({ status: 400, code: "ODE_ERR_INVALID_REQUEST", message: "bad body" });
    }
    const sessionId = (request.query as Record<string, string | undefined>).sessionId;
    return decide(body as Record<string, unknown>, sessionId);
  });
  await app.listen({ port: Number(values.port), host: "127.0.0.1" });
  const stop = () => void app.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`servers: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
