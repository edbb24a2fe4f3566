/**
 * Ours, two ways: `getOffers` of the TargetClient (on-device, artifact payload, notifications sent
 * through a stub fetch that answers at once, telemetry at its default), and the engine entry alone
 * (compile once, then one synchronous decision per request: no I/O, notifications returned).
 */
import { peersArtifact } from "../target-artifact";
import { JOB_LOCATIONS, visit, type Answer, type JobId } from "../jobs";
import { ownVersion, type Decider, type System } from "./types";

const CLIENT = "targettesting";
const ORGANIZATION_ID = "65453EA95A70434F0A495D34@AdobeOrg";

/** The Delivery request a web page sends for visit i. */
function request(
  job: JobId,
  mboxes: readonly { name: string; index: number }[],
  i: number,
): Record<string, unknown> {
  const v = visit(i);
  return {
    id: { tntId: v.visitorId },
    context:
      job === "a" ? { channel: "web" } : { channel: "web", address: { url: v.url }, userAgent: v.userAgent },
    execute: { mboxes },
  };
}

function mboxList(job: JobId): { name: string; index: number }[] {
  return JOB_LOCATIONS[job].map((name, k) => ({ name, index: k + 1 }));
}

/** The experience of each location in a Delivery response's execute mboxes. */
function experiences(
  job: JobId,
  mboxes: readonly { name?: string; options?: { content?: unknown }[] }[] | undefined,
): Answer[] {
  return JOB_LOCATIONS[job].map((name) => {
    const mbox = mboxes?.find((m) => m.name === name);
    const content = mbox?.options?.[0]?.content as { experience?: Answer } | undefined;
    return content?.experience ?? null;
  });
}

/** A FetchLike answering every call at once with an empty Delivery response. */
function stubFetch(): (url: string, init?: unknown) => Promise<unknown> {
  const headers = { get: () => null };
  const response = {
    status: 200,
    ok: true,
    headers,
    text: async () => "{}",
    arrayBuffer: async () => new ArrayBuffer(0),
  };
  return async () => response;
}

export const oursGetOffers: System = {
  id: "ours-getoffers",
  title: "ours getOffers",
  version: ownVersion,
  async create(job): Promise<Decider> {
    const { TargetClient } = await import("../../../src/index");
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORGANIZATION_ID,
      decisioningMethod: "on-device",
      artifactPayload: peersArtifact() as never,
      pollingInterval: 0,
      targetLocationHint: "28",
      fetchApi: stubFetch() as never,
      logger: { debug() {}, error() {} },
    });
    await client.ready({ timeout: 30_000 });
    const mboxes = mboxList(job);
    return {
      call: (i) => client.getOffers({ request: request(job, mboxes, i) as never }),
      answers: (result) =>
        experiences(
          job,
          (result as { response: { execute?: { mboxes?: never[] } } }).response.execute?.mboxes,
        ),
      drain: () => client.flush(),
      close: () => client.close(),
    };
  },
};

export const oursEngine: System = {
  id: "ours-engine",
  title: "ours engine entry",
  version: ownVersion,
  async create(job): Promise<Decider> {
    const { compile, decide } = await import("../../../src/engine/index");
    const compiled = compile(peersArtifact());
    const mboxes = mboxList(job);
    return {
      call: (i) =>
        decide(compiled, request(job, mboxes, i) as never, { client: CLIENT, targetLocationHint: "28" }),
      answers: (result) =>
        experiences(
          job,
          (result as { response: { execute?: { mboxes?: never[] } } }).response.execute?.mboxes,
        ),
      async close() {},
    };
  },
};
