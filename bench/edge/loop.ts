/**
 * The measured loop of `npm run bench:edge`, runtime-neutral: it runs unchanged in Node and inside
 * workerd. One edge TargetClient decides `iterations` calls of a scenario on the production
 * artifact, each for a new visitor; every call's latency is recorded in microseconds.
 */

export interface LoopInput {
  scenario: "execute-1" | "prefetch-5";
  iterations: number;
  warmup: number;
}

export interface LoopResult {
  iterations: number;
  elapsedMs: number;
  latenciesUs: number[];
}

interface ClientClass {
  create(options: any): { ready(): Promise<void>; getOffers(options: any): Promise<{ response: any }>; close(): Promise<void> };
}

const PROPERTY_TOKEN = "be92ac4c-e72f-9f82-2a80-2c211ea86578";
const URL_ = "https://www.adobe.com/products/target.html?foo=bar";
const UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIVE = ["perf-mbox", "mbox-params", "mbox-feature-flags", "mbox-magician", "mbox-macros"];

/** A distinct visitor id per call: 32 hex characters. */
function visitor(i: number): string {
  return (0x10000000 + i).toString(16).padStart(32, "a");
}

export function requestFor(scenario: LoopInput["scenario"], i: number): Record<string, unknown> {
  const base = { id: { tntId: visitor(i) }, property: { token: PROPERTY_TOKEN }, context: { channel: "web", address: { url: URL_ }, userAgent: UA } };
  return scenario === "execute-1"
    ? { ...base, execute: { mboxes: [{ name: "perf-mbox", index: 1 }] } }
    : { ...base, prefetch: { mboxes: FIVE.map((name, k) => ({ name, index: k + 1, parameters: { foo: "bar" } })) } };
}

/** Notifications go to a fetch that answers at once, identical in both runtimes. */
const answerAtOnce = async () => new Response("{}", { headers: { "content-type": "application/json" } });

export async function runLoop(TargetClient: ClientClass, artifact: unknown, input: LoopInput): Promise<LoopResult> {
  const client = TargetClient.create({
    client: "bench",
    organizationId: "bench@AdobeOrg",
    decisioningMethod: "on-device",
    artifactPayload: artifact,
    fetchApi: answerAtOnce,
    targetLocationHint: "28",
    telemetryEnabled: false,
  });
  try {
    await client.ready();
    for (let i = 0; i < input.warmup; i++) await client.getOffers({ request: requestFor(input.scenario, i) });
    const latenciesUs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < input.iterations; i++) {
      const t0 = performance.now();
      const { response } = await client.getOffers({ request: requestFor(input.scenario, input.warmup + i) });
      latenciesUs.push((performance.now() - t0) * 1000);
      if (i === 0 && !(response.execute || response.prefetch)) throw new Error("the scenario decided nothing");
    }
    return { iterations: input.iterations, elapsedMs: performance.now() - started, latenciesUs };
  } finally {
    await client.close();
  }
}
