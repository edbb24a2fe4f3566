/**
 * The file artifact source (Node): a path or file:// URL, read with a cheap change check and
 * optionally watched. Runtimes without a filesystem simply do not offer it (see ClientPlatform).
 */
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DecisioningError } from "../errors";
import { artifactTooLarge as tooLarge } from "./parse";
import type { BuiltInSource, FileSourceOptions } from "./source";

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
