import { Agent, type Dispatcher } from "undici";
import type { FetchLike, FetchResponseLike } from "./http";
import { urlParts } from "./url-parts";

const decoder = new TextDecoder();

/** Response headers as undici gives them: lower-case names, repeated ones as arrays. */
export type UndiciHeaders = Record<string, string | string[] | undefined>;

/**
 * A response as the FetchLike port sees it, from an undici status, headers and body (read at once
 * by the caller, so the connection returns to the pool whether or not anyone reads it).
 */
export function fetchResponse(status: number, headers: UndiciHeaders, bytes: Promise<ArrayBuffer>): FetchResponseLike {
  bytes.catch(() => undefined); // observed through text()/arrayBuffer(); never unhandled
  const text = () => bytes.then((b) => decoder.decode(b));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string) {
        const value = headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text,
    arrayBuffer: () => bytes,
    json: () => text().then((t) => JSON.parse(t) as unknown),
  };
}

function responseOf(res: Dispatcher.ResponseData): FetchResponseLike {
  return fetchResponse(res.statusCode, res.headers, res.body.arrayBuffer());
}

/** The keep-alive pool of both Node adapters (this one and createThreadFetch's worker). */
export const POOL_OPTIONS = {
  keepAliveTimeout: 10_000,
  keepAliveMaxTimeout: 60_000,
  connections: 64,
  // Bounds for requests the client stopped waiting for (notification sends are abandoned, not aborted, on timeout).
  headersTimeout: 30_000,
  bodyTimeout: 30_000,
} as const;

/**
 * The default HTTP stack: undici's dispatcher API (not its WHATWG fetch: no Request/Response
 * objects or web streams per call, a third of a notification send's cost) over a keep-alive
 * connection pool owned by one client, so `close()` can release every socket and never leaves a
 * handle keeping the process alive. Redirects are not followed (a 3xx is answered as it is).
 */
export function createDefaultFetch(): { fetch: FetchLike; close(): Promise<void> } {
  const agent = new Agent(POOL_OPTIONS);
  const fetch: FetchLike = async (url, init = {}) => {
    const target = urlParts(url);
    const res = await agent.request({
      origin: target.origin,
      path: target.path,
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    return responseOf(res);
  };
  return {
    fetch,
    close: async () => {
      // Called after the notification queue was flushed: whatever is still open was abandoned
      // (timed out); destroy it rather than wait for a server that may never answer.
      await agent.destroy().catch(() => undefined);
    },
  };
}
