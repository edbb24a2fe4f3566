/**
 * The Worker of `npm run bench:edge`: `POST /loop` runs the measured loop inside workerd;
 * `POST /rest/v1/delivery` is the Delivery API (examples/cloudflare-worker's shape) on the artifact in KV.
 */
import { TargetClient, createDeliveryHandler, kvArtifactSource, type KvNamespaceLike } from "on-device-decisioning/edge";
import { runLoop, type LoopInput } from "./loop";

interface Env {
  ARTIFACTS: KvNamespaceLike;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

let artifact: unknown;
let delivery: ((request: Request, ctx: { waitUntil: (p: Promise<unknown>) => void }) => Promise<Response>) | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/loop") {
      artifact ??= JSON.parse((await env.ARTIFACTS.get("rules.json", { type: "text" }))!);
      return Response.json(await runLoop(TargetClient, artifact, (await request.json()) as LoopInput));
    }
    if (!delivery) {
      const client = TargetClient.create({
        client: "bench",
        organizationId: "bench@AdobeOrg",
        decisioningMethod: "on-device",
        artifactSource: kvArtifactSource(env.ARTIFACTS, "rules.json"),
        targetLocationHint: "28",
        telemetryEnabled: false,
        fetchApi: async () => Response.json({}),
      });
      delivery = createDeliveryHandler({ client, clientCode: "bench", organizationId: "bench@AdobeOrg" });
    }
    return delivery(request, { waitUntil: (p) => ctx.waitUntil(p) });
  },
};
