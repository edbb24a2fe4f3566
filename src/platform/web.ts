/**
 * The HTTP stack of runtimes that have a global `fetch` (workerd, Deno, browsers, Vercel Edge,
 * Bun): that fetch, with redirects never followed, and nothing to release on close (the runtime
 * owns its connections).
 */
import type { FetchInit, FetchLike, FetchResponseLike } from "./http";
import type { ClientPlatform } from "./types";

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

/** Any runtime with a global fetch (Bun, Deno, browsers, Node's own fetch): no file system. */
export const portablePlatform: ClientPlatform = {
  createFetch: createWebFetch,
  backgroundWork: true,
};
