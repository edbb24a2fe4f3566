/**
 * Helpers of the hardening tests: the real service started in this process on 127.0.0.1:0 with
 * its JSON log lines captured, raw TCP sockets for slow and idle clients, and a Delivery API
 * stand-in that can redirect.
 */
import { createConnection, type Socket } from "node:net";
import { Writable } from "node:stream";
import { resolveServerConfig, startService, type Service } from "../../src/server/index";
import { createLogger } from "../../src/server/logging";
import type { ServiceOptions } from "../../src/server/index";
import { SAMPLE_ARTIFACT } from "../server/support";

export interface CapturedService extends Service {
  /** Parsed log lines so far. */
  lines: Record<string, unknown>[];
}

/** Starts the service in-process (flags as on the command line, without the dashes). */
export async function startCapturedService(
  flags: Record<string, string>,
  options: ServiceOptions = {},
  logLevel = "info",
): Promise<CapturedService> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const config = resolveServerConfig(
    { port: "0", host: "127.0.0.1", artifact: SAMPLE_ARTIFACT, "log-level": logLevel, ...flags },
    {},
  );
  const logger = createLogger(config.logLevel, sink);
  const service = await startService(config, { logger, ...options });
  await service.client.ready({ timeout: 10_000 });
  return Object.assign(service, { lines });
}

export interface RawClient {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the ms from connect to close when the server closes the connection. */
  closed: Promise<number>;
}

/** Opens a raw TCP connection to `url` (http://host:port). */
export function rawConnect(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    let text = "";
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - opened)));
    socket.on("data", (d: Buffer) => (text += d.toString("utf8")));
    socket.once("error", () => undefined);
    socket.once("connect", () => resolve({ socket, received: () => text, closed }));
    socket.once("error", reject);
  });
}

/** Resolves after `ms`, or with "timeout" marker semantics via Promise.race by callers. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Races `p` against `ms`: the value, or "pending" when `p` has not settled in time. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"pending">((r) => (timer = setTimeout(() => r("pending"), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
