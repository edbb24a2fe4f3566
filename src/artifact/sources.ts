/**
 * Artifact sources behind one small interface. A source performs one (conditional) load; the
 * manager decides when to call it, validates what it returns and swaps the artifact.
 *
 * Built in here: a static/payload source and a file source (path or file:// URL, optionally
 * watched); the HTTP source is in ./http-source. The interface is in ./source.
 */
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisioningError } from "../errors";
import type { SafeLogger } from "../logger";
import { artifactTooLarge as tooLarge } from "./parse";
import type { ArtifactSource, ArtifactUpdatedResult, BuiltInSource } from "./source";

const STATIC_ETAG = "static";

/**
 * A source that always serves one artifact object (as it is: never copied nor mutated). Its first
 * load is "updated", later loads are "unchanged". Handy for tests and custom bootstraps.
 */
export function createStaticSource(artifact: Record<string, unknown>, location = "payload"): BuiltInSource {
  return {
    kind: "payload",
    location,
    async load(ctx) {
      if (ctx.etag === STATIC_ETAG) return { status: "unchanged" };
      return { status: "updated", body: artifact, etag: STATIC_ETAG, privateEtag: true };
    },
  };
}

export interface FileSourceOptions {
  /** A filesystem path or a file:// URL. */
  location: string;
  maximumArtifactSize: number;
  logger: SafeLogger;
}

/** Resolves a path or file:// URL to an absolute filesystem path. */
export function toFilePath(location: string): string {
  if (/^file:/i.test(location)) {
    try {
      return fileURLToPath(location);
    } catch (cause) {
      throw new DecisioningError(
        "ODE_ERR_INVALID_OPTION",
        `artifactLocation is not a valid file URL: ${location}`,
        {
          cause,
          details: { option: "artifactLocation" },
        },
      );
    }
  }
  return resolve(location);
}

/**
 * Reads the artifact from a local file. A change token (size, mtime, inode) makes unchanged files
 * cost a `stat` only; `watch` uses fs.watch on the file's directory (robust against editors and
 * deploy tools that replace the file by renaming) and is unref'd.
 */
export function createFileSource(opts: FileSourceOptions): BuiltInSource {
  const path = toFilePath(opts.location);
  const location = opts.location;
  return {
    kind: "file",
    location,
    async load(ctx) {
      let token: string;
      try {
        const st = await stat(path);
        if (!st.isFile()) throw new Error("not a regular file");
        token = `${st.size}-${st.mtimeMs}-${st.ino}`;
        if (ctx.etag === token) return { status: "unchanged" };
        if (st.size > opts.maximumArtifactSize) throw tooLarge(st.size, opts.maximumArtifactSize, location);
        const data = await readFile(path, { signal: ctx.signal });
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        if (bytes.length > opts.maximumArtifactSize)
          throw tooLarge(bytes.length, opts.maximumArtifactSize, location);
        return { status: "updated", body: bytes, etag: token, privateEtag: true };
      } catch (err) {
        if (DecisioningError.is(err)) throw err;
        if (ctx.signal.aborted)
          throw new DecisioningError("ODE_ERR_ABORTED", "Artifact read aborted", { cause: err });
        const reason = err instanceof Error ? err.message : String(err);
        throw new DecisioningError(
          "ODE_ERR_ARTIFACT_UNAVAILABLE",
          `Cannot read artifact file ${path}: ${reason}`,
          {
            cause: err,
            recoverable: true,
            details: { artifactLocation: location },
          },
        );
      }
    },
    watch(onChange) {
      const dir = dirname(path);
      const name = basename(path);
      let watcher: FSWatcher;
      try {
        watcher = fsWatch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || filename === undefined || String(filename) === name) onChange();
        });
      } catch (err) {
        opts.logger.warn(`cannot watch artifact file ${path}:`, err instanceof Error ? err.message : err);
        return () => {};
      }
      watcher.on("error", (err) => opts.logger.warn(`artifact file watcher error for ${path}:`, err.message));
      watcher.unref?.();
      return () => watcher.close();
    },
  };
}

/** Wraps a user source so that it reports as "custom" and its failures are coded errors. */
export function wrapCustomSource(source: ArtifactSource): BuiltInSource {
  const location = typeof source.location === "string" && source.location !== "" ? source.location : "custom";
  const wrapped: BuiltInSource = {
    kind: "custom",
    location,
    async load(ctx) {
      let result: unknown;
      try {
        result = await source.load(ctx);
      } catch (err) {
        if (DecisioningError.is(err)) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        throw new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", `The artifact source failed: ${reason}`, {
          cause: err,
          recoverable: true,
          details: { artifactLocation: location },
        });
      }
      const r = result as
        (Partial<Omit<ArtifactUpdatedResult, "status">> & { status?: string }) | null | undefined;
      if (r && r.status === "unchanged") return { status: "unchanged" };
      if (r && r.status === "updated" && r.body !== undefined && r.body !== null) {
        const out: ArtifactUpdatedResult = { status: "updated", body: r.body };
        if (r.format === "bin" || r.format === "json") out.format = r.format;
        if (typeof r.etag === "string" && r.etag !== "") out.etag = r.etag;
        return out;
      }
      throw new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", "The artifact source returned no artifact", {
        recoverable: true,
        details: { artifactLocation: location },
      });
    },
  };
  if (typeof source.watch === "function") wrapped.watch = (onChange) => source.watch!.call(source, onChange);
  return wrapped;
}
