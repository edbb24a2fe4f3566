/**
 * The HTTP(S) artifact source: one conditional GET through the injected FetchLike.
 *
 * - sends `If-None-Match` with the ETag of the artifact in use; 304 → "unchanged" (nothing read)
 * - per-download timeout through an AbortSignal armed on the Scheduler (so tests drive it)
 * - `maximumArtifactSize` enforced from Content-Length before reading, then on the bytes read
 *   (streaming when the response exposes a body stream, so an endless body is cut off early)
 * - statuses become coded errors: 401/403 → ODE_ERR_ARTIFACT_AUTH (not recoverable), anything
 *   else but 200/304 → ODE_ERR_HTTP_STATUS (recoverable), with `Retry-After` in details.retryAfterMs
 * - geo from the CDN's `x-geo-*` response headers (src/protocol/geo.ts) and the fetch time for telemetry
 */
import { DecisioningError } from "../errors";
import type { FetchLike, FetchResponseLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import { createDeadline } from "../primitives/abort";
import { parseRetryAfter } from "../primitives/retry";
import { geoFromHeaders } from "../protocol/geo";
import { artifactTooLarge as tooLarge } from "./parse";
import type { ArtifactLoadContext, BuiltInSource, InternalLoadResult } from "./source";

export interface HttpSourceOptions {
  url: string;
  fetch: FetchLike;
  scheduler: Scheduler;
  /** Per-download timeout in ms (headers + body). */
  timeoutMs: number;
  maximumArtifactSize: number;
  /** Clock for the telemetry `execution` time; default scheduler.now. */
  performanceNow?: () => number;
}

interface StreamLike {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

async function readBody(res: FetchResponseLike, limit: number, location: string): Promise<Uint8Array> {
  const stream = (res as unknown as { body?: StreamLike | null }).body;
  if (stream && typeof stream.getReader === "function") {
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!value) continue;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(total, limit, location);
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0] as Uint8Array;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > limit) throw tooLarge(bytes.byteLength, limit, location);
  return bytes;
}

export function createHttpSource(opts: HttpSourceOptions): BuiltInSource {
  const location = opts.url;
  const details: Details = (extra = {}) => ({ artifactLocation: location, ...extra });
  return {
    kind: "http",
    location,
    load: (ctx) => download(opts, ctx, details),
  };
}

type Details = (extra?: Record<string, unknown>) => Record<string, unknown>;

/** The error a failed download ends with: a timeout, an abort by the caller, or a network failure. */
function downloadError(err: unknown, timedOut: boolean, ctx: ArtifactLoadContext, timeoutMs: number, details: Details) {
  if (DecisioningError.is(err) && err.code !== "ODE_ERR_TIMEOUT") return err;
  if (timedOut) {
    return new DecisioningError("ODE_ERR_TIMEOUT", `Artifact download timed out after ${timeoutMs} ms`, {
      cause: err,
      recoverable: true,
      details: details(),
    });
  }
  if (ctx.signal.aborted) {
    return new DecisioningError("ODE_ERR_ABORTED", "Artifact download aborted", { cause: err, details: details() });
  }
  const reason = err instanceof Error ? describe(err) : String(err);
  return new DecisioningError("ODE_ERR_NETWORK", `Artifact download failed: ${reason}`, {
    cause: err,
    recoverable: true,
    details: details(),
  });
}

/** One conditional GET of the artifact, bounded by the download timeout and the size limit. */
async function download(opts: HttpSourceOptions, ctx: ArtifactLoadContext, details: Details): Promise<InternalLoadResult> {
  const location = opts.url;
  const perfNow = opts.performanceNow ?? (() => opts.scheduler.now());
  const deadline = createDeadline({
    scheduler: opts.scheduler,
    timeoutMs: opts.timeoutMs,
    onTimeout: () => new DecisioningError("ODE_ERR_TIMEOUT", "Artifact download timed out"),
    parent: ctx.signal,
  });
  const fail = (err: unknown) => downloadError(err, deadline.timedOut, ctx, opts.timeoutMs, details);
  const started = perfNow();
  let settled = false; // the response (if any) was fully consumed
  try {
    const headers: Record<string, string> = {};
    if (ctx.etag) headers["If-None-Match"] = ctx.etag;
    let res: FetchResponseLike;
    try {
      res = await opts.fetch(location, { method: "GET", headers, signal: deadline.signal });
    } catch (err) {
      throw fail(err);
    }
    if (res.status === 304) {
      if (!ctx.etag) throw statusError(res, opts.scheduler.now(), details);
      settled = true;
      return { status: "unchanged", download: { execution: perfNow() - started } };
    }
    if (res.status !== 200) throw statusError(res, opts.scheduler.now(), details);
    const declared = Number(res.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > opts.maximumArtifactSize) {
      throw tooLarge(declared, opts.maximumArtifactSize, location);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBody(res, opts.maximumArtifactSize, location);
      settled = true;
    } catch (err) {
      throw fail(err);
    }
    const etag = res.headers.get("etag");
    return {
      status: "updated",
      body: bytes,
      ...(etag ? { etag } : {}),
      geo: geoFromHeaders(res.headers),
      download: { execution: perfNow() - started },
    };
  } finally {
    deadline.dispose();
    // An unread body (error status, size limit) is dropped so the connection is released.
    if (!settled) deadline.abort();
  }
}

function describe(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message && cause.message !== err.message)
    return `${err.message} (${cause.message})`;
  return err.message;
}

function statusError(res: FetchResponseLike, now: number, details: Details): DecisioningError {
  const status = res.status;
  if (status === 401 || status === 403) {
    return new DecisioningError(
      "ODE_ERR_ARTIFACT_AUTH",
      `The artifact server answered ${status}: check client, environment, propertyToken and artifactLocation`,
      { status, recoverable: false, details: details() },
    );
  }
  const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), now);
  return new DecisioningError("ODE_ERR_HTTP_STATUS", `Artifact download answered HTTP ${status}`, {
    status,
    recoverable: true,
    details: details(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
