import { Agent, fetch as undiciFetch } from "undici";
import type { FetchLike } from "./http";

/**
 * The default HTTP stack: undici's fetch over a keep-alive connection pool owned by one client,
 * so `close()` can release every socket and never leaves a handle keeping the process alive.
 */
export function createDefaultFetch(): { fetch: FetchLike; close(): Promise<void> } {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: 64,
    // Bounds for requests the client stopped waiting for (notification sends are abandoned, not aborted, on timeout).
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const fetch: FetchLike = (url, init) =>
    undiciFetch(url, { ...init, dispatcher: agent }) as unknown as ReturnType<FetchLike>;
  return {
    fetch,
    close: async () => {
      // Called after the notification queue was flushed: whatever is still open was abandoned
      // (timed out); destroy it rather than wait for a server that may never answer.
      await agent.destroy().catch(() => undefined);
    },
  };
}
