import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DeliveryRequest } from "../../src/index";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The self-contained edge module of the package (dist/browser), as a page or a Deno script imports it. */
export function publishedBrowserModule(): string {
  const file = path.join(ROOT, "dist/browser/on-device-decisioning.edge.js");
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return file;
}

export interface CapturedCall {
  method: string;
  url: string;
  body: any;
  receivedAt: number;
}

/** A Delivery request for the conformance artifacts' visitor (Firefox on a test URL). */
export function deliveryRequest(parts: {
  execute?: DeliveryRequest["execute"];
  prefetch?: DeliveryRequest["prefetch"];
  tntId?: string;
}): DeliveryRequest {
  return {
    requestId: "edge-request-1",
    id: { tntId: parts.tntId ?? "338e3c1e51f7416a8e1ccba4f81acea0", marketingCloudVisitorId: "07327024324407615852294135870030620007" },
    context: {
      channel: "web",
      address: { url: "http://local-target-test:8080/" },
      userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
    },
    ...(parts.execute ? { execute: parts.execute } : {}),
    ...(parts.prefetch ? { prefetch: parts.prefetch } : {}),
  } as DeliveryRequest;
}

interface NodeClientClass {
  create(options: any): {
    ready(o?: { timeout?: number }): Promise<void>;
    getOffers(o: any): Promise<{ response: unknown }>;
    close(): Promise<void>;
  };
}

/** What the Node client answers for the same request from the same artifact (the reference point). */
export async function nodeDecision(TargetClient: NodeClientClass, artifact: unknown, request: DeliveryRequest, sessionId: string) {
  const client = TargetClient.create({
    client: "someClientId",
    organizationId: "someOrgId",
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    pollingInterval: 0,
    targetLocationHint: "28",
    fetchApi: async () => Response.json({}),
  });
  try {
    await client.ready({ timeout: 5000 });
    const { response } = await client.getOffers({ request, sessionId });
    return JSON.parse(JSON.stringify(response));
  } finally {
    await client.close();
  }
}
