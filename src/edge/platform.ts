/**
 * The web-platform defaults of the edge entry: the runtime's global `fetch` (workerd, Deno,
 * browsers, Vercel Edge all have one) with redirects never followed, and nothing to release on
 * close (the runtime owns its connections).
 */
import type { FetchInit, FetchLike, FetchResponseLike } from "../platform/http";

export function createWebFetch(): { fetch: FetchLike; close: undefined } {
  const fetch: FetchLike = (url: string, init: FetchInit = {}) => {
    const global = globalThis.fetch;
    if (typeof global !== "function") {
      return Promise.reject(new TypeError("This runtime has no global fetch: pass fetchApi to TargetClient.create()"));
    }
    return global(url, { ...init, redirect: "manual" }) as Promise<FetchResponseLike>;
  };
  return { fetch, close: undefined };
}
