/**
 * The state of the artifact in use, in one object: the current LoadedArtifact, the change token
 * sent back to the source, the retrieval count, who waits for the first artifact, who listens for
 * updates, and which artifact was last reported stale. The manager drives it; it does no I/O.
 */
import { DecisioningError } from "../errors";
import type { SafeLogger } from "../logger";
import type { Artifact } from "./schema";
import type { ArtifactSourceKind } from "./source";
import type { LoadedArtifact } from "./types";

export interface AdoptMeta {
  source: ArtifactSourceKind;
  etag?: string;
  retrievedAt: number;
}

export class ArtifactState<T> {
  current: LoadedArtifact<T> | undefined;
  /** Change token sent back to the source on the next load (ETag, file stamp). */
  validator: string | undefined;
  #retrievalCount = 0;
  #staleReported: LoadedArtifact<T> | undefined;
  readonly #waiters: { resolve: (a: LoadedArtifact<T>) => void; reject: (e: unknown) => void }[] = [];
  readonly #listeners = new Set<(a: LoadedArtifact<T>) => void>();

  constructor(
    private readonly location: string,
    private readonly logger: SafeLogger,
  ) {}

  /** Makes a new artifact the current one (immutable record, retrieval count + 1). */
  adopt(artifact: Artifact, compiled: T, meta: AdoptMeta): LoadedArtifact<T> {
    this.#retrievalCount++;
    const generatedAt = artifact.meta?.generatedAt;
    const record: LoadedArtifact<T> = Object.freeze({
      artifact,
      compiled,
      version: artifact.version,
      ...(typeof generatedAt === "string" ? { generatedAt } : {}),
      ...(meta.etag !== undefined ? { etag: meta.etag } : {}),
      retrievedAt: meta.retrievedAt,
      source: meta.source,
      location: this.location,
      retrievalCount: this.#retrievalCount,
    });
    this.current = record;
    return record;
  }

  /** The source confirmed the current artifact ("unchanged"): same artifact, fresh retrievedAt. */
  confirm(now: number, source: ArtifactSourceKind): void {
    if (this.current) this.current = Object.freeze({ ...this.current, retrievedAt: now, source });
  }

  /** Tells update listeners and first-artifact waiters about `record`; a throwing listener is logged. */
  notify(record: LoadedArtifact<T>): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(record);
      } catch (err) {
        this.logger.warn("an artifact update listener threw:", err instanceof Error ? err.message : err);
      }
    }
    for (const w of this.#waiters.splice(0)) w.resolve(record);
  }

  onUpdate(listener: (a: LoadedArtifact<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Resolves with the current artifact, or the first one to arrive. */
  whenReady(): Promise<LoadedArtifact<T>> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  rejectWaiters(error: DecisioningError): void {
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  /**
   * Whether the current artifact is older than `maxAge` at `now`. The first time a given artifact
   * is found stale, `onStale` runs (the manager logs and emits artifactStale).
   */
  checkStale(now: number, maxAge: number | undefined, onStale: (ageMs: number) => void): boolean {
    const current = this.current;
    if (!current || maxAge === undefined) return false;
    const ageMs = now - current.retrievedAt;
    if (ageMs <= maxAge) return false;
    if (this.#staleReported !== current) {
      this.#staleReported = current;
      onStale(ageMs);
    }
    return true;
  }
}
