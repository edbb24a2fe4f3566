import { createRequire } from "node:module";
import type { Artifact } from "../../src/artifact/schema";

const require = createRequire(import.meta.url);
const Reference = require("@adobe/target-nodejs-sdk");

export interface ReferenceClient {
  getOffers(options: { request: unknown; sessionId?: string }): Promise<any>;
  /** Bodies of the notification POSTs the reference sent (parsed). */
  notifications: any[];
  stop(): void;
}

/**
 * The published reference SDK (@adobe/target-nodejs-sdk 2.4.3) on-device, bootstrapped with
 * `artifact` and fully offline: no ping (location hint given), no polling, no telemetry, and a
 * fetch stub answering notification POSTs with an empty 200 JSON body.
 */
export function createReferenceClient(artifact: Artifact, client: string, organizationId = "TEST@AdobeOrg"): Promise<ReferenceClient> {
  const notifications: any[] = [];
  return new Promise((resolve, reject) => {
    // A plain (non-async) function: the reference ignores async functions passed as fetchApi.
    const fetchApi = (_url: string, init: { body?: string } = {}): Promise<Response> => {
      if (typeof init.body === "string") notifications.push(JSON.parse(init.body));
      return Promise.resolve(new Response("{}", { status: 200, headers: { "content-type": "application/json" } }));
    };
    const timer = setTimeout(() => reject(new Error("reference SDK not ready after 5 s")), 5000);
    const sdk = Reference.create({
      client,
      organizationId,
      decisioningMethod: "on-device",
      artifactPayload: artifact,
      pollingInterval: 0,
      targetLocationHint: "28",
      telemetryEnabled: false,
      fetchApi,
      logger: { debug() {}, error() {} },
      events: {
        clientReady: () => {
          clearTimeout(timer);
          resolve({
            getOffers: (options) => sdk.getOffers(options),
            notifications,
            stop: () => sdk.decisioningEngine?.stopPolling?.(),
          });
        },
      },
    });
  });
}

/** JSON round trip (drops undefined) and masks the values that are random by definition. */
export function normalizeForComparison(value: unknown): any {
  const copy = JSON.parse(JSON.stringify(value ?? null));
  const walk = (node: any) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const key of Object.keys(node)) {
        if (key === "id" && typeof node[key] === "string") node[key] = "<id>";
        else if (key === "impressionId") node[key] = "<id>";
        else if (key === "artifact" && node.clientCode !== undefined) node[key] = "<artifact>";
        else if (key === "sessionId") node[key] = "<session>";
        else walk(node[key]);
      }
    }
  };
  walk(copy);
  return copy;
}

/** JSON with sorted keys: compares objects whose key order may differ. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Display notifications as sorted canonical strings (their batching may differ; their content may not). */
export function notificationSet(list: unknown[]): string[] {
  return normalizeForComparison(list)
    .map((n: unknown) => stableStringify(n))
    .sort();
}
