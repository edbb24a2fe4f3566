/**
 * The platform port: what a client needs from the runtime it runs on. The entry point chooses it
 * (src/index.ts the Node platform, an edge entry a web one), so composition imports no runtime-
 * specific module and an edge bundle never pulls in undici or node:fs.
 */
import type { ArtifactCacheStorage } from "../artifact/cache";
import type { BuiltInSource, FileSourceOptions } from "../artifact/source";
import type { FetchLike } from "../platform/http";

export interface ClientPlatform {
  /** The HTTP stack used when the caller passes no `fetchApi`; `close` releases its sockets. */
  createFetch(): { fetch: FetchLike; close?: () => Promise<void> };
  /** Reads file artifact locations; absent where there is no filesystem. */
  fileSource?: (options: FileSourceOptions) => BuiltInSource;
  /** Storage for an `artifactCache` directory; absent where there is no filesystem. */
  directoryStorage?: (dir: string) => ArtifactCacheStorage;
}

/** Any runtime with a WHATWG `fetch` (edge workers, Deno, browsers): no filesystem. */
export const webPlatform: ClientPlatform = {
  createFetch: () => ({ fetch: ((url, init) => globalThis.fetch(url, init)) as FetchLike }),
};
