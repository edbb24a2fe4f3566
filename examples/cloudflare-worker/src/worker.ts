/**
 * A Cloudflare Worker (module syntax) answering the Adobe Target Delivery API on the edge:
 * POST /rest/v1/delivery?client=<client>&sessionId=<id> with a Delivery request, decided from the
 * rules artifact kept in the KV namespace bound as TARGET_ARTIFACTS (key "rules.json").
 *
 * One client per isolate: created on the first request, reused by every later one (the artifact is
 * compiled once). A request that finds the artifact older than `pollingInterval` revalidates it in
 * the background; notifications go out through ctx.waitUntil, after the response.
 */
import { TargetClient, createDeliveryHandler, kvArtifactSource, type KvNamespaceLike } from "on-device-decisioning/edge";

export interface Env {
  TARGET_ARTIFACTS: KvNamespaceLike;
  TARGET_CLIENT: string;
  TARGET_ORGANIZATION_ID: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Handler = (request: Request, ctx: ExecutionContext) => Promise<Response>;

let handler: Handler | undefined;

function createHandler(env: Env): Handler {
  const client = TargetClient.create({
    client: env.TARGET_CLIENT,
    organizationId: env.TARGET_ORGANIZATION_ID,
    decisioningMethod: "on-device",
    artifactSource: kvArtifactSource(env.TARGET_ARTIFACTS, "rules.json"),
    // Revalidate the artifact at most once a minute, on a request (no background poller).
    pollingInterval: 60_000,
  });
  const delivery = createDeliveryHandler({
    client,
    clientCode: env.TARGET_CLIENT,
    organizationId: env.TARGET_ORGANIZATION_ID,
  });
  return (request, ctx) => delivery(request, { waitUntil: (promise) => ctx.waitUntil(promise) });
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    handler ??= createHandler(env);
    return handler(request, ctx);
  },
};
