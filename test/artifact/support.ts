/** Test helpers for the artifact subsystem: a real HTTP server, an event recorder, builders. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fetch as undiciFetch } from "undici";
import { vi } from "vitest";
import { createDirectoryStorage } from "../../src/artifact/directory-storage";
import { createFileSource } from "../../src/artifact/file-source";
import { createArtifactManager, type ArtifactManagerOptions } from "../../src/artifact/manager";
import { ManualScheduler } from "../support/manual-scheduler";
import type { TelemetryEntry } from "../../src/protocol/delivery";
import { DecisioningError } from "../../src/errors";
import { createSafeLogger, type SafeLogger } from "../../src/logger";
import type { FetchLike } from "../../src/platform/http";
import type { Artifact } from "../../src/artifact/schema";

export const fetch = undiciFetch as unknown as FetchLike;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export interface TestServer {
  url: (path?: string) => string;
  port: number;
  requests: RecordedRequest[];
  handle(handler: Handler): void;
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
  listen(port?: number): Promise<void>;
}

export async function startServer(handler: Handler = (_req, res) => res.end()): Promise<TestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let server: Server;
  let port = 0;
  const make = () =>
    createServer((req, res) => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      current(req, res);
    });
  const listen = (p = 0) =>
    new Promise<void>((resolve, reject) => {
      server = make();
      server.once("error", reject);
      server.listen(p, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    url: (path = "/rules.json") => `http://127.0.0.1:${port}${path}`,
    get port() {
      return port;
    },
    requests,
    handle(h) {
      current = h;
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
    listen,
  };
}

export function json(body: unknown, headers: Record<string, string> = {}, status = 200): Handler {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(text);
  };
}

/** Serves `body` with an ETag and answers 304 when If-None-Match matches. */
export function etagged(body: unknown, etag: string, extra: Record<string, string> = {}): Handler {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return (req, res) => {
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", etag, ...extra });
    res.end(text);
  };
}

export interface RecordedEvent {
  type: string;
  payload: Record<string, unknown>;
}

export function recorder() {
  const events: RecordedEvent[] = [];
  const waiters: { type: string; n: number; resolve: () => void }[] = [];
  const count = (type: string) => events.filter((e) => e.type === type).length;
  return {
    events,
    emit(type: string, payload: Record<string, unknown>) {
      events.push({ type, payload });
      for (const w of waiters.filter((w) => count(w.type) >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    count,
    of(type: string) {
      return events.filter((e) => e.type === type).map((e) => e.payload);
    },
    /** Resolves once `n` events of `type` were recorded in total. */
    waitFor(type: string, n = 1, timeoutMs = 5000): Promise<void> {
      if (count(type) >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${n}× ${type}; got ${count(type)}`)),
          timeoutMs,
        );
        waiters.push({ type, n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    failures(): DecisioningError[] {
      return events
        .filter((e) => e.type === "artifactDownloadFailed")
        .map((e) => e.payload.error as DecisioningError);
    },
  };
}

/** Polls a condition on real time (for real I/O such as fs.watch), bounded. */
export async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error("waitUntil timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function anArtifact(
  mboxes: Record<string, number> = { hero: 1 },
  version = "1.0.0",
  generatedAt = "2024-01-01T00:00:00.000Z",
): Artifact {
  const rules: Record<string, unknown[]> = {};
  for (const [name, count] of Object.entries(mboxes)) {
    rules[name] = Array.from({ length: count }, (_, i) => ({
      ruleKey: `${name}-${i}`,
      condition: { "==": [{ var: "mbox.foo" }, "bar"] },
      consequence: {
        name,
        options: [{ type: "html", content: `<b>${i}</b>`, eventToken: `t${i}` }],
        metrics: [],
      },
      meta: { "activity.id": i },
    }));
  }
  return {
    version,
    meta: { generatedAt, clientCode: "acme" },
    globalMbox: "target-global-mbox",
    rules: { mboxes: rules, views: {} },
  } as unknown as Artifact;
}

/** A stand-in for the real compiler: counts mboxes; throws the coded error for the op "regex_match". */
export function stubCompile(artifact: Artifact): { rules: number } {
  if (JSON.stringify(artifact.rules).includes('"regex_match"')) {
    throw new DecisioningError(
      "ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR",
      'Unknown json-logic operator "regex_match"',
    );
  }
  return { rules: Object.keys(artifact.rules.mboxes ?? {}).length };
}

export function quietLogger(lines: string[] = []): SafeLogger {
  const push =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`${level} ${args.map(String).join(" ")}`);
  return createSafeLogger({
    debug: push("debug"),
    info: push("info"),
    warn: push("warn"),
    error: push("error"),
  });
}

/** A manager wired for tests: ManualScheduler (random 0.5), undici fetch, recorder, compile spy. */
export function setup(
  overrides: Partial<ArtifactManagerOptions<{ rules: number }>> = {},
  scheduler = new ManualScheduler(1_700_000_000_000),
) {
  const events = recorder();
  const telemetry: TelemetryEntry[] = [];
  const logs: string[] = [];
  const compile = vi.fn(stubCompile);
  const manager = createArtifactManager<{ rules: number }>({
    client: "acme",
    organizationId: "ORG@AdobeOrg",
    fetch,
    scheduler,
    logger: quietLogger(logs),
    compile,
    emit: events.emit,
    recordTelemetry: (e) => telemetry.push(e),
    fileSource: createFileSource,
    directoryStorage: createDirectoryStorage,
    ...overrides,
  });
  return { manager, events, telemetry, logs, compile, scheduler };
}
