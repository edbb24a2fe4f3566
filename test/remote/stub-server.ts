/**
 * A real HTTP stand-in (node:http on 127.0.0.1, port 0) for the Delivery API and the geo endpoint.
 * Records every hit and the highest number of concurrently open requests.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fetch as undiciFetch } from "undici";
import type { FetchLike } from "../../src/platform/http";

export interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  index: number;
}

export type Handler = (hit: Hit, res: ServerResponse) => void | Promise<void>;

export interface StubServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `127.0.0.1:<port>` (for serverDomain) */
  hostPort: string;
  hits: Hit[];
  readonly maxConcurrent: number;
  readonly active: number;
  /** Requests whose connection closed before a response was sent. */
  readonly abortedRequests: number;
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

export const fetch: FetchLike = undiciFetch as unknown as FetchLike;

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startStub(initial: Handler): Promise<StubServer> {
  let handler = initial;
  const hits: Hit[] = [];
  let active = 0;
  let maxConcurrent = 0;
  let abortedRequests = 0;
  const server = createServer((req, res) => {
    active++;
    maxConcurrent = Math.max(maxConcurrent, active);
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      active--;
    };
    res.on("finish", done);
    res.on("close", () => {
      if (!res.writableFinished) abortedRequests++;
      done();
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://stub");
      let parsed: unknown;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        parsed = undefined;
      }
      const hit: Hit = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: parsed,
        index: hits.length,
      };
      hits.push(hit);
      Promise.resolve(handler(hit, res)).catch(() => {
        res.statusCode = 599;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    hits,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get active() {
      return active;
    },
    get abortedRequests() {
      return abortedRequests;
    },
    setHandler(h) {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that refuses connections: bind, read the port, close. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `cond` on the real event loop (for waiting on real I/O) up to `ms`. */
export async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("waitFor: condition not met in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A SafeLogger that records messages per level. */
export function recordingLogger(debug = true) {
  const lines: { level: string; text: string }[] = [];
  const rec = (level: string) => (...args: unknown[]) => lines.push({ level, text: args.map(String).join(" ") });
  return {
    lines,
    logger: { debugEnabled: debug, debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") },
  };
}
