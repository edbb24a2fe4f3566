/**
 * Helpers of the client-level integration tests: a Delivery API stand-in answer, a fetchApi wrapper
 * that records (and optionally re-routes) every call, artifacts built with the testing builder, and
 * unhandled-rejection tracking. Real HTTP only on 127.0.0.1.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import { afterAll, beforeAll, expect } from "vitest";
import { fetch as undiciFetch } from "undici";
import { DecisioningError } from "../../src/errors";
import type { FetchInit, FetchLike } from "../../src/platform/http";
import { anArtifact } from "../../src/testing/index";
import type { Artifact } from "../../src/artifact/schema";
import type { Hit } from "../remote/stub-server";

export const CLIENT = "acme";
export const ORG = "ACME123@AdobeOrg";
export const PING_SESSION = "ping123";

/**
 * Fails the file when any promise rejection went unhandled while its tests ran. Call once at the
 * top level of a test file.
 */
export function trackUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", listener);
  });
  afterAll(async () => {
    // Give late rejections (timers, sockets closed by afterEach) a chance to surface.
    await new Promise((r) => setTimeout(r, 50));
    process.off("unhandledRejection", listener);
    expect(seen).toEqual([]);
  });
  return seen;
}

type MboxReq = { name?: string; index?: number };

function remoteMboxes(list: MboxReq[] | undefined) {
  if (!Array.isArray(list)) return undefined;
  return list.map((m) => ({
    name: m.name,
    index: m.index,
    options: [{ type: "json", content: { from: "remote", mbox: m.name }, responseTokens: { "activity.id": 777 } }],
    analytics: { payload: { pe: "tnt", tnta: `remote-${m.name}` } },
  }));
}

/** A Delivery API answer to `hit`: every requested mbox gets a remote json option, the id is echoed. */
export function deliveryAnswer(hit: Hit, extra: { edgeHost?: string; tntId?: string } = {}): Record<string, unknown> {
  const req = (hit.json ?? {}) as Record<string, any>;
  const out: Record<string, unknown> = {
    status: 200,
    requestId: req.requestId,
    client: CLIENT,
    id: { ...(req.id ?? {}), tntId: req.id?.tntId ?? extra.tntId ?? "remote-tnt-1" },
  };
  if (extra.edgeHost) out.edgeHost = extra.edgeHost;
  if (req.execute) out.execute = { mboxes: remoteMboxes(req.execute.mboxes) };
  if (req.prefetch) out.prefetch = { mboxes: remoteMboxes(req.prefetch.mboxes) };
  return out;
}

export const isPing = (hit: Hit) => hit.query.get("sessionId") === PING_SESSION;
export const nonPing = (hits: Hit[]) => hits.filter((h) => !isPing(h));
/** Hits carrying notifications (on-device impressions or sendNotifications). */
export const notificationHits = (hits: Hit[]) => hits.filter((h) => Array.isArray(h.json?.notifications));

export interface RecordedFetchCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: any;
}

/**
 * A fetchApi that records every call and forwards it with undici's fetch, after `route(url)` (e.g.
 * rewriting a host that would leave the machine to a local stand-in).
 */
export function recordingFetch(route: (url: string) => string = (u) => u): FetchLike & { calls: RecordedFetchCall[] } {
  const calls: RecordedFetchCall[] = [];
  const fn = (async (url: string, init: FetchInit = {}) => {
    let body: any = init.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON
      }
    }
    calls.push({ url, method: (init.method ?? "GET").toUpperCase(), headers: { ...(init.headers ?? {}) }, body });
    return undiciFetch(route(url), init as Parameters<typeof undiciFetch>[1]);
  }) as unknown as FetchLike & { calls: RecordedFetchCall[] };
  fn.calls = calls;
  return fn;
}

/** Rewrites scheme + host of any URL to `origin` (keeps path and query). */
export const toOrigin = (origin: string) => (url: string) => url.replace(/^https?:\/\/[^/]+/, origin);

/** One local A/B mbox ("local-one", json {from: "local"}) and one remote-only mbox ("remote-one"). */
export function hybridArtifact(options: { geoTargetingEnabled?: boolean; generatedAt?: string } = {}): Artifact {
  return anArtifact({ client: CLIENT, organizationId: ORG, ...options })
    .abActivity({
      id: 1001,
      name: "Local test",
      mbox: "local-one",
      experiences: [{ name: "Only", json: { from: "local" } }],
    })
    .remoteMbox("remote-one")
    .build();
}

/** A node:http server on 127.0.0.1 at a given port (to bring a "down" location up later). */
export function listenOn(port: number, handler: RequestListener): Promise<Server & { stop(): Promise<void> }> {
  const server = createServer(handler) as Server & { stop(): Promise<void> };
  server.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The DecisioningError a promise rejects with (fails when it resolves or rejects with anything else). */
export async function rejectionOf(p: Promise<unknown>): Promise<DecisioningError> {
  try {
    await p;
  } catch (err) {
    expect(DecisioningError.is(err), `not a DecisioningError: ${String(err)}`).toBe(true);
    return err as DecisioningError;
  }
  throw new Error("expected a rejection");
}

/** The DecisioningError a function throws synchronously. */
export function thrownBy(fn: () => unknown): DecisioningError {
  try {
    fn();
  } catch (err) {
    expect(DecisioningError.is(err), `not a DecisioningError: ${String(err)}`).toBe(true);
    return err as DecisioningError;
  }
  throw new Error("expected a throw");
}

/** A logger that keeps every line (and keeps test output quiet). */
export function memoryLogger() {
  const lines: string[] = [];
  const rec =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`${level} ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")}`);
  return { lines, logger: { debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") } };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
