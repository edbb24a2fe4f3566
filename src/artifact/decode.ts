/**
 * Source body → validated artifact, and the guarded call of the injected compiler.
 * Runtime-neutral (no Node built-ins).
 */
import { DecisioningError } from "../errors";
import { artifactTooLarge, parseArtifactText, utf8Decode, validateArtifact } from "./parse";
import { decodeRulesBinText } from "./rules-bin";
import type { Artifact } from "./schema";
import type { ArtifactBody } from "./source";
import type { ArtifactFormat } from "./url";

export interface DecodeOptions {
  organizationId: string;
  maximumArtifactSize: number;
  location: string;
}

/**
 * Strings are JSON text; bytes are JSON (UTF-8) or rules.bin per `format`; objects are validated
 * as they are (never copied). Returns the JSON text too when there is one (for the cache).
 */
export function decodeArtifactBody(
  body: ArtifactBody,
  format: ArtifactFormat,
  opts: DecodeOptions,
): { artifact: Artifact; text?: string } {
  const limit = opts.maximumArtifactSize;
  if (typeof body === "string") {
    if (body.length > limit) throw artifactTooLarge(body.length, limit, opts.location);
    return { artifact: parseArtifactText(body), text: body };
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
    if (bytes.byteLength > limit) throw artifactTooLarge(bytes.byteLength, limit, opts.location);
    const text = format === "bin" ? decodeRulesBinText(bytes, opts.organizationId) : utf8Decode(bytes);
    return { artifact: parseArtifactText(text), text };
  }
  return { artifact: validateArtifact(body) };
}

/**
 * Runs the injected compiler. Its DecisioningErrors (e.g. ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR) pass
 * through; anything else it throws becomes ODE_ERR_ARTIFACT_INVALID with the original as cause.
 */
export function runCompiler<T>(compile: (artifact: Artifact) => T, artifact: Artifact): T {
  try {
    return compile(artifact);
  } catch (e) {
    if (DecisioningError.is(e)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `The artifact could not be compiled: ${reason}`, {
      cause: e,
    });
  }
}
