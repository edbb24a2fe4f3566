/**
 * Creates our TargetClient and the reference (@adobe/target-nodejs-sdk 2.4.3) the same way: on-device
 * from `artifactPayload`, polling off, location hint given (no ping), and a stub fetch that answers
 * every Delivery call (notifications) with `{}` at once, so nothing leaves the machine.
 */
import { createRequire } from "node:module";

export type Side = "ours" | "reference";

export interface BenchClient {
  side: Side;
  getOffers(options: Record<string, unknown>): Promise<any>;
  /** Lets queued/background notification work finish (counted in the throughput figure). */
  drain(): Promise<void>;
  close(): Promise<void>;
  /** HTTP calls the stub answered. */
  readonly httpCalls: () => number;
  /** Ours: the notification queue's counters (status().notifications). */
  readonly notificationStats?: () => Record<string, number>;
}

export const CLIENT_CODE = "targettesting";
export const ORGANIZATION_ID = "65453EA95A70434F0A495D34@AdobeOrg";

const requireCjs = createRequire(import.meta.url);
let referenceModule: any;
let oursModule: typeof import("../../src/index") | undefined;

function reference(): any {
  referenceModule ??= requireCjs("@adobe/target-nodejs-sdk");
  return referenceModule;
}

export interface StubOptions {
  /** Answer each Delivery call after this many ms (a real edge is 10–100 ms away); default 0 = at once. */
  httpLatencyMs?: number;
}

/**
 * The stub's answer: what both clients read of a fetch Response (status, ok, headers.get, text,
 * json, arrayBuffer), without building a WHATWG Response and its body stream per call — that cost
 * belongs to the HTTP stack, not to either client, and it was a fifth of our side's profile.
 */
function stubResponse(): Record<string, unknown> {
  return {
    status: 200,
    ok: true,
    headers: { get: () => null },
    text: async () => "{}",
    json: async () => ({}),
    arrayBuffer: async () => new ArrayBuffer(0),
  };
}

function stubFetch(o: StubOptions = {}): {
  fetch: (url: string, init?: unknown) => Promise<Record<string, unknown>>;
  calls: () => number;
} {
  let calls = 0;
  const latency = o.httpLatencyMs ?? 0;
  return {
    fetch: async () => {
      calls++;
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      return stubResponse();
    },
    calls: () => calls,
  };
}

const quietLogger = { debug() {}, error() {} };

function baseOptions(artifact: unknown, fetchApi: unknown): Record<string, unknown> {
  return {
    client: CLIENT_CODE,
    organizationId: ORGANIZATION_ID,
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    pollingInterval: 0,
    targetLocationHint: "28",
    fetchApi,
    logger: quietLogger,
  };
}

/** Creates our client and resolves once it is ready. */
export async function createOurs(artifact: unknown, stubOptions?: StubOptions): Promise<BenchClient> {
  const stub = stubFetch(stubOptions);
  // Imported once, on first use (a dynamic import() per call would go through the loader hooks each time).
  oursModule ??= await import("../../src/index");
  const { TargetClient } = oursModule;
  const client = TargetClient.create(baseOptions(artifact, stub.fetch) as any);
  await client.ready({ timeout: 120_000 });
  return {
    side: "ours",
    getOffers: (options) => client.getOffers(options as any),
    drain: () => client.flush(),
    close: () => client.close(),
    httpCalls: stub.calls,
    notificationStats: () => {
      const { upstreamDown: _down, ...counts } = client.status().notifications;
      return counts;
    },
  };
}

/** Creates the reference client and resolves on its `clientReady` event. */
export function createReference(artifact: unknown, stubOptions?: StubOptions): Promise<BenchClient> {
  const stub = stubFetch(stubOptions);
  const Reference = reference();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("reference client not ready within 120 s")), 120_000);
    const client = Reference.create({
      ...baseOptions(artifact, stub.fetch),
      events: {
        clientReady: () => {
          clearTimeout(timer);
          resolve({
            side: "reference",
            getOffers: (options) => client.getOffers(options),
            // The reference sends each notification from a setTimeout(0): give those timers a turn.
            drain: () => new Promise<void>((r) => setTimeout(r, 1)),
            close: async () => {
              client.decisioningEngine?.stopPolling?.();
            },
            httpCalls: stub.calls,
          });
        },
      },
    });
  });
}

export function createClient(side: Side, artifact: unknown, stubOptions?: StubOptions): Promise<BenchClient> {
  return side === "ours" ? createOurs(artifact, stubOptions) : createReference(artifact, stubOptions);
}
