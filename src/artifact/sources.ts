/**
 * Artifact sources behind one small interface. A source performs one (conditional) load; the
 * manager decides when to call it, validates what it returns and swaps the artifact.
 *
 * Built in here: a static/payload source and the wrapper of user sources. The HTTP source is in
 * ./http-source, the file source (Node only) in ./file-source, the interface in ./source.
 */
import { DecisioningError } from "../errors";
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
