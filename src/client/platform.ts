/**
 * The platform port: what a client needs from the runtime it runs on. The entry point chooses it
 * (src/index.ts the Node platform, an edge entry a web one), so composition imports no runtime-
 * specific module and an edge bundle never pulls in undici or node:fs.
 */
import type { ArtifactCacheStorage } from "../artifact/cache";
import type { BuiltInSource, FileSourceOptions } from "../artifact/source";
import type { FetchLike } from "../platform/http";
import { createWebFetch } from "../platform/web";

export interface ClientPlatform {
  /** The HTTP stack used when the caller passes no `fetchApi`; `close` releases its sockets. */
  createFetch(): { fetch: FetchLike; close?: () => Promise<void> };
  /** Reads file artifact locations; absent where there is no filesystem. */
  fileSource?: (options: FileSourceOptions) => BuiltInSource;
  /** Storage for an `artifactCache` directory; absent where there is no filesystem. */
  directoryStorage?: (dir: string) => ArtifactCacheStorage;
  /**
   * false: nothing runs between calls — no failed first load retried on a timer, no location-hint
   * request at start, cache writes part of the load (edge isolates, see src/edge). Default true.
   */
  backgroundWork?: boolean;
}

/** Any runtime with a WHATWG `fetch` (edge workers, Deno, browsers): no filesystem; redirects not followed. */
export const webPlatform: ClientPlatform = {
  createFetch: createWebFetch,
};
