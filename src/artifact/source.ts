/**
 * The artifact source port: one (conditional) load per call. The manager decides when to call it,
 * validates what it returns and swaps the artifact. Users may pass their own {@link ArtifactSource};
 * the built-in sources implement {@link BuiltInSource}, which reports a few more facts.
 */
import type { SafeLogger } from "../logger";
import type { Geo } from "../protocol/delivery";
import type { ArtifactFormat } from "./url";

export type ArtifactSourceKind = "payload" | "file" | "http" | "cache" | "custom";

export interface ArtifactLoadContext {
  /** Aborted by close() (and by the download timeout for built-in HTTP). Pass it on to I/O. */
  signal: AbortSignal;
  /** The validator (ETag) of the artifact in use, when it came from this source. */
  etag?: string;
}

/** JSON text, raw bytes (JSON or rules.bin, per `format`), or an already-parsed artifact object. */
export type ArtifactBody = string | Uint8Array | ArrayBuffer | Record<string, unknown>;

export interface ArtifactUpdatedResult {
  status: "updated";
  body: ArtifactBody;
  /** Decoder for string/byte bodies; defaults to the manager's resolved format. */
  format?: ArtifactFormat;
  /** Validator sent back as `ctx.etag` on the next load once this artifact is in use. */
  etag?: string;
}

export interface ArtifactUnchangedResult {
  status: "unchanged";
}

export type ArtifactLoadResult = ArtifactUpdatedResult | ArtifactUnchangedResult;

/** A user-supplied source: called by the manager on start, at each poll and on refresh(). */
export interface ArtifactSource {
  /** Shown in events and used to derive the cache key. Default "custom". */
  readonly location?: string;
  /** Loads once. Throw (preferably a DecisioningError) on failure. */
  load(ctx: ArtifactLoadContext): Promise<ArtifactLoadResult>;
  /** Optional change notifications (the manager debounces them and then calls load). */
  watch?(onChange: () => void): () => void;
}

/** Extra facts built-in sources report; not part of the public source contract. @internal */
export interface SourceResultExtras {
  geo?: Geo;
  /** Set by the HTTP source on a completed download (200 or 304): fetch time in ms. */
  download?: { execution: number };
  /** The etag is a private change token (file mtime/size), not shown as LoadedArtifact.etag. */
  privateEtag?: boolean;
}

export type InternalLoadResult = ArtifactLoadResult & SourceResultExtras;

/** @internal */
export interface BuiltInSource extends ArtifactSource {
  readonly kind: ArtifactSourceKind;
  readonly location: string;
  load(ctx: ArtifactLoadContext): Promise<InternalLoadResult>;
}

export interface FileSourceOptions {
  /** A filesystem path or a file:// URL. */
  location: string;
  maximumArtifactSize: number;
  logger: SafeLogger;
}
