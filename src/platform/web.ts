/**
 * The HTTP stack of runtimes that have a global `fetch` (workerd, Deno, browsers, Vercel Edge,
 * Bun): that fetch, with redirects never followed, and nothing to release on close (the runtime
 * owns its connections).
 */
import type { FetchInit, FetchLike, FetchResponseLike } from "./http";

export function createWebFetch(): { fetch: FetchLike } {
  const fetch: FetchLike = (url: string, init: FetchInit = {}) => {
    const global = globalThis.fetch;
    if (typeof global !== "function") {
      return Promise.reject(new TypeError("This runtime has no global fetch: pass fetchApi to TargetClient.create()"));
    }
    return global(url, { ...init, redirect: "manual" }) as Promise<FetchResponseLike>;
  };
  return { fetch };
}
