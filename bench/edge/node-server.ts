/**
 * The Node side of the HTTP comparison: the same edge Delivery handler behind node:http (a thin
 * Request/Response adapter), so both runtimes answer with identical code.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type WebHandler = (request: Request, ctx: { waitUntil: (p: Promise<unknown>) => void }) => Promise<Response>;

export async function serveWebHandler(handler: WebHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
      });
      handler(request, { waitUntil: (p) => void p.catch(() => undefined) })
        .then(async (response) => {
          const out: Record<string, string> = {};
          response.headers.forEach((value, key) => (out[key] = value));
          res.writeHead(response.status, out);
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
