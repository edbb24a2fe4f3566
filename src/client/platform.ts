/**
 * The platform a client runs on: the adapters that differ between Node and edge runtimes. Each
 * entry point of the package binds its own (the Node entry: ./node-platform, undici and the file
 * system; the edge entry: ../edge/platform, the runtime's fetch), so neither pulls the other's
 * modules into its bundle. It lives in the client layer because it names artifact ports.
 */
import type { ArtifactManagerOptions } from "../artifact/types";
import type { FetchLike } from "../platform/http";
import { createWebFetch } from "../platform/web";

export interface ClientPlatform {
  /** The HTTP stack used when the caller passes no `fetchApi`; `close` releases it on client close. */
  createFetch(): { fetch: FetchLike; close?: () => Promise<void> };
  /** Reads file artifact locations; absent: only http(s) locations (and sources, payloads) work. */
  fileSource?: ArtifactManagerOptions<unknown>["fileSource"];
  /** Storage for an `artifactCache` directory path; absent: only storage ports work. */
  directoryStorage?: ArtifactManagerOptions<unknown>["directoryStorage"];
  /**
   * true: the client works between calls (retries a failed first artifact load on a timer, asks
   * the edge for a location hint at start). false on edge runtimes, where nothing may run between
   * requests.
   */
  backgroundWork: boolean;
}

/** Any runtime with a global fetch (Bun, Deno, browsers, Node's own fetch): no file system. */
export const portablePlatform: ClientPlatform = {
  createFetch: createWebFetch,
  backgroundWork: true,
};
