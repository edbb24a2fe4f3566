/** Public types of the artifact manager (implemented in ./manager). */
import type { TelemetryEntry } from "../protocol/delivery";
import type { SafeLogger } from "../logger";
import type { FetchLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import type { BackoffOptions } from "../primitives/backoff";
import type { ArtifactCacheStorage } from "./cache";
import type { Artifact } from "./schema";
import type { ArtifactSource, ArtifactSourceKind, BuiltInSource, FileSourceOptions } from "./source";

/** One artifact in use: immutable; a new object replaces it on every change. */
export interface LoadedArtifact<T> {
  artifact: Artifact;
  compiled: T;
  version: string;
  /** artifact.meta.generatedAt */
  generatedAt?: string;
  /** The HTTP ETag (or a custom source's validator); absent for payload and file artifacts. */
  etag?: string;
  /** When the source last delivered or confirmed (304 / unchanged) this artifact; ms epoch. */
  retrievedAt: number;
  /** Where the artifact came from; a cached artifact confirmed by a 304 becomes "http". */
  source: ArtifactSourceKind;
  /** The configured artifact location (URL, path, or a custom source's location). */
  location: string;
  /** 1 for the first artifact, +1 for every new artifact that took effect. */
  retrievalCount: number;
}

/** Options; defaults and meaning are documented in docs/artifact.md. */
export interface ArtifactManagerOptions<T> {
  client: string;
  organizationId: string;
  /** Default "production" (lower-cased into the URL). */
  environment?: string;
  propertyToken?: string;
  /** http(s) URL, file path or file:// URL; default: the CDN URL. */
  artifactLocation?: string;
  /** Default: "bin" when the location ends in .bin, else "json". */
  artifactFormat?: "json" | "bin";
  /** An artifact object served at once (never mutated). */
  artifactPayload?: unknown;
  /** A user-supplied source; replaces artifactLocation. */
  artifactSource?: ArtifactSource;
  /** ms; 0 = off; default 300000; (0, 1000) → 1000. */
  pollingInterval?: number;
  /** ms per download; default 10000. */
  downloadTimeout?: number;
  /** bytes; default 50 MiB. */
  maximumArtifactSize?: number;
  /** ms; no limit by default. */
  maximumArtifactAge?: number;
  backoff?: BackoffOptions;
  /** A directory path or a storage port for warm starts. */
  artifactCache?: string | ArtifactCacheStorage;
  /** Watch a file location (or a custom source with watch()) for changes. Default false. */
  watchFile?: boolean;
  fetch: FetchLike;
  /**
   * Retry a failed first load on a timer until it succeeds (default true). Edge runtimes pass false:
   * nothing may run between requests, the next refresh() (made by a request) tries again.
   */
  retryUntilLoaded?: boolean;
  /**
   * A load resolves only once its cache write is stored (default false: the write runs behind).
   * Edge runtimes pass true, so the write is part of the work handed to waitUntil.
   */
  awaitCacheWrites?: boolean;
  scheduler: Scheduler;
  logger: SafeLogger;
  /** Reads file locations (path or file:// URL); absent on runtimes without a filesystem. */
  fileSource?: (options: FileSourceOptions) => BuiltInSource;
  /** Storage for an `artifactCache` given as a directory path; absent on runtimes without a filesystem. */
  directoryStorage?: (dir: string) => ArtifactCacheStorage;
  /** Builds the engine's compiled form; may throw a DecisioningError (e.g. unknown operator). */
  compile: (artifact: Artifact) => T;
  emit: (type: string, payload: Record<string, unknown>) => void;
  recordTelemetry?: (entry: TelemetryEntry) => void;
  /** High-resolution clock for telemetry timings (e.g. performance.now); default scheduler.now. */
  performanceNow?: () => number;
}

export interface ArtifactManager<T> {
  /** Serves the payload or cached artifact if any and starts loading. Idempotent; no-op after close. */
  start(): void;
  current(): LoadedArtifact<T> | undefined;
  isReady(): boolean;
  /** Resolves with the first good artifact; rejects with ODE_ERR_CLOSED if closed first. */
  whenReady(): Promise<LoadedArtifact<T>>;
  /** false without an artifact, or when older than maximumArtifactAge (emits artifactStale once). */
  isFresh(now?: number): boolean;
  /** Loads now (returns the in-flight load if there is one); rejects with that load's error. */
  refresh(): Promise<void>;
  onUpdate(listener: (a: LoadedArtifact<T>) => void): () => void;
  /** Cancels the timer, aborts the in-flight load, stops watchers, flushes the cache. Idempotent. */
  close(): Promise<void>;
  /** The resolved artifact location. */
  readonly location: string;
  /** The effective polling interval in ms (0 = off). */
  readonly pollingInterval: number;
}
