/**
 * Where an edge deployment keeps the artifact, as the client's existing ports:
 *
 * - {@link kvArtifactSource}: the artifact itself lives in a key-value namespace (Cloudflare KV or
 *   anything with the same `get`), published there by a deploy step or a cron worker;
 * - {@link kvCacheStorage} and {@link webCacheStorage}: warm-start storage (`artifactCache`) for an
 *   artifact downloaded from a URL, so a new isolate answers from the last good artifact at once
 *   and revalidates it with its ETag instead of downloading it again.
 *
 * The structural types below match the runtimes' objects without depending on their type packages.
 */
import { DecisioningError } from "../errors";
import type { ArtifactCacheStorage } from "../artifact/cache";
import type { ArtifactSource } from "../artifact/source";

/** The subset of a Cloudflare KV namespace binding these adapters use. */
export interface KvNamespaceLike {
  get(key: string, options: { type: "arrayBuffer"; cacheTtl?: number }): Promise<ArrayBuffer | null>;
  get(key: string, options: { type: "text"; cacheTtl?: number }): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

export interface KvArtifactSourceOptions {
  /** "json" (default) or "bin" (rules.bin bytes). */
  format?: "json" | "bin";
  /** Seconds KV may serve the value from the edge cache of the data centre (KV's `cacheTtl`, >= 60). */
  cacheTtl?: number;
}

/**
 * A content fingerprint (FNV-1a 32-bit, twice with different seeds) used as the artifact's change
 * token: a refresh that reads the same bytes reports "unchanged" and nothing is recompiled.
 */
export function fingerprint(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x01000193);
  }
  return `kv-${bytes.length.toString(16)}-${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

/** The artifact stored under `key` in a KV namespace (JSON text or rules.bin bytes). */
export function kvArtifactSource(namespace: KvNamespaceLike, key: string, options: KvArtifactSourceOptions = {}): ArtifactSource {
  const format = options.format ?? "json";
  return {
    location: `kv:${key}`,
    async load(ctx) {
      const value = await namespace.get(key, {
        type: "arrayBuffer",
        ...(options.cacheTtl !== undefined ? { cacheTtl: options.cacheTtl } : {}),
      });
      if (value === null) {
        throw new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", `No artifact under the KV key "${key}"`, {
          recoverable: true,
          details: { artifactLocation: `kv:${key}` },
        });
      }
      const bytes = new Uint8Array(value);
      const etag = fingerprint(bytes);
      if (ctx.etag === etag) return { status: "unchanged" };
      return { status: "updated", body: bytes, format, etag };
    },
  };
}

/** Warm-start storage in a KV namespace (entries expire after `expirationTtl` seconds, if given). */
export function kvCacheStorage(namespace: KvNamespaceLike, options: { expirationTtl?: number } = {}): ArtifactCacheStorage {
  return {
    async get(key) {
      return (await namespace.get(key, { type: "text" })) ?? undefined;
    },
    async set(key, value) {
      await namespace.put(key, value, options.expirationTtl !== undefined ? { expirationTtl: options.expirationTtl } : undefined);
    },
  };
}

/** The subset of the Cache API (`caches.default` in Workers, `await caches.open(name)` elsewhere). */
export interface CacheLike {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
}

/**
 * Warm-start storage in the Cache API. Entries are keyed by a synthetic URL (never fetched) and
 * kept `maxAgeSeconds` (default one day): the Workers cache honours Cache-Control on put.
 */
export function webCacheStorage(cache: CacheLike, options: { maxAgeSeconds?: number; namespace?: string } = {}): ArtifactCacheStorage {
  const base = `https://${options.namespace ?? "on-device-decisioning.invalid"}/artifact-cache/`;
  const maxAge = options.maxAgeSeconds ?? 86_400;
  return {
    async get(key) {
      const hit = await cache.match(new Request(base + encodeURIComponent(key)));
      return hit ? await hit.text() : undefined;
    },
    async set(key, value) {
      const response = new Response(value, {
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": `max-age=${maxAge}` },
      });
      await cache.put(new Request(base + encodeURIComponent(key)), response);
    },
  };
}
