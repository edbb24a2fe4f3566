import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CapturedCall } from "./support";

export type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 (random port) with exact-path routes; records every request. */
export async function startServer(routes: Record<string, Route>): Promise<{ url: string; calls: (CapturedCall & { answeredAt?: number })[]; close(): Promise<void> }> {
  const calls: (CapturedCall & { answeredAt?: number })[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const call: CapturedCall & { answeredAt?: number } = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        body: text && (req.headers["content-type"] ?? "").includes("json") ? safeJson(text) : text,
        receivedAt: Date.now(),
      };
      calls.push(call);
      res.on("finish", () => (call.answeredAt = Date.now()));
      const route = routes[`${req.method} ${(req.url ?? "/").split("?")[0]}`];
      if (!route) {
        res.writeHead(404).end("not found");
        return;
      }
      Promise.resolve(route(req, text, res)).catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
