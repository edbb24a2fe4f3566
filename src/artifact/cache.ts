/**
 * Warm-start cache: the last validated artifact (its JSON text), its ETag and when it was
 * retrieved, stored per artifact location in a directory or a user storage port.
 *
 * Entry format (a string): line 1 is a JSON metadata object, the rest is the artifact JSON text
 * verbatim (no double escaping of a large body). Reading is defensive: a missing, foreign or
 * corrupt entry is reported as undefined with a logged reason, never thrown.
 */
import type { SafeLogger } from "../logger";

/** A two-method storage port (e.g. Redis, KV store). Values are strings. */
export interface ArtifactCacheStorage {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, value: string): Promise<void> | void;
}

export interface CachedArtifact {
  location: string;
  /** The artifact's JSON text. */
  text: string;
  etag?: string;
  retrievedAt: number;
}

interface CacheMeta {
  v: 1;
  location: string;
  etag?: string;
  retrievedAt: number;
}

const CACHE_FORMAT_VERSION = 1;

/** FNV-1a 32-bit over UTF-16 code units, as 8 hex digits. */
function fnv1a(text: string, seed = 0x811c9dc5): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** A filesystem- and KV-safe key derived from the artifact location. */
export function cacheKeyFor(location: string): string {
  return `ode-artifact-${fnv1a(location)}${fnv1a(location, 0x050c5d1f)}`;
}

export function encodeCacheEntry(entry: CachedArtifact): string {
  const meta: CacheMeta = {
    v: CACHE_FORMAT_VERSION,
    location: entry.location,
    retrievedAt: entry.retrievedAt,
  };
  if (entry.etag !== undefined) meta.etag = entry.etag;
  return `${JSON.stringify(meta)}\n${entry.text}`;
}

/** Returns the entry or a string explaining why it cannot be used. */
export function decodeCacheEntry(raw: string, location: string): CachedArtifact | string {
  const nl = raw.indexOf("\n");
  if (nl < 0) return "entry has no metadata line";
  let meta: Partial<CacheMeta>;
  try {
    meta = JSON.parse(raw.slice(0, nl)) as Partial<CacheMeta>;
  } catch {
    return "entry metadata is not JSON";
  }
  if (typeof meta !== "object" || meta === null || meta.v !== CACHE_FORMAT_VERSION)
    return "unknown entry format";
  if (meta.location !== location) return `entry belongs to another location (${String(meta.location)})`;
  if (typeof meta.retrievedAt !== "number" || !Number.isFinite(meta.retrievedAt))
    return "entry has no retrievedAt";
  const entry: CachedArtifact = { location, text: raw.slice(nl + 1), retrievedAt: meta.retrievedAt };
  if (typeof meta.etag === "string") entry.etag = meta.etag;
  return entry;
}

export interface ArtifactCache {
  read(): Promise<CachedArtifact | undefined>;
  /** Queued: writes never overlap and land in call order. Never rejects. */
  write(entry: Omit<CachedArtifact, "location">): Promise<void>;
  /** Resolves when queued writes are done. */
  flush(): Promise<void>;
}

export function createArtifactCache(storage: ArtifactCacheStorage, location: string, logger: SafeLogger): ArtifactCache {
  const key = cacheKeyFor(location);
  let queue: Promise<void> = Promise.resolve();
  return {
    async read() {
      let raw: string | undefined;
      try {
        raw = await storage.get(key);
      } catch (err) {
        logger.warn("artifact cache read failed:", err instanceof Error ? err.message : err);
        return undefined;
      }
      if (raw === undefined || raw === null) return undefined;
      if (typeof raw !== "string") {
        logger.warn("artifact cache entry ignored: not a string");
        return undefined;
      }
      const entry = decodeCacheEntry(raw, location);
      if (typeof entry === "string") {
        logger.warn(`artifact cache entry ignored: ${entry}`);
        return undefined;
      }
      return entry;
    },
    write(entry) {
      const value = encodeCacheEntry({ ...entry, location });
      queue = queue.then(async () => {
        try {
          await storage.set(key, value);
        } catch (err) {
          logger.warn("artifact cache write failed:", err instanceof Error ? err.message : err);
        }
      });
      return queue;
    },
    flush() {
      return queue;
    },
  };
}
