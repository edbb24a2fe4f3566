/**
 * Where the artifact lives (docs/target-behaviour.md#location) and which decoder reads it. Runtime-neutral.
 */
import { DecisioningError } from "../errors";
import { SUPPORTED_ARTIFACT_MAJOR_VERSION } from "./schema";

export type ArtifactFormat = "json" | "bin";

export const CDN_HOST = "assets.adobetarget.com";
export const DEFAULT_ENVIRONMENT = "production";
export const ARTIFACT_FILE_NAMES: Readonly<Record<ArtifactFormat, string>> = {
  json: "rules.json",
  bin: "rules.bin",
};

export interface ArtifactUrlOptions {
  client: string;
  environment?: string;
  propertyToken?: string;
  artifactFormat?: string;
  artifactLocation?: string;
}

/**
 * The artifact URL: a string `artifactLocation` wins as it is; otherwise
 * `https://assets.adobetarget.com/<client>/<environment>/v1/[<propertyToken>/]<rules.json|rules.bin>`.
 *
 * Deliberate deviations from the reference: an empty or blank `propertyToken` adds no path segment
 * (the reference produces `/v1//rules.json`, which the CDN cannot serve), and path segments are
 * percent-encoded (a no-op for real client codes, environment names and tokens).
 */
export function artifactUrl(opts: ArtifactUrlOptions): string {
  if (typeof opts.artifactLocation === "string" && opts.artifactLocation !== "") return opts.artifactLocation;
  const environment =
    typeof opts.environment === "string" && opts.environment !== ""
      ? opts.environment.toLowerCase()
      : DEFAULT_ENVIRONMENT;
  const segments = [
    `https://${CDN_HOST}`,
    enc(opts.client),
    enc(environment),
    `v${SUPPORTED_ARTIFACT_MAJOR_VERSION}`,
  ];
  if (typeof opts.propertyToken === "string" && opts.propertyToken.trim() !== "")
    segments.push(enc(opts.propertyToken));
  segments.push(ARTIFACT_FILE_NAMES[opts.artifactFormat === "bin" ? "bin" : "json"]);
  return segments.join("/");
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/**
 * Decoder selection as in the reference: an explicit `artifactFormat` decides ("bin" → rules.bin,
 * any other string → JSON); without it a location ending in `.bin` (case-insensitive, query and
 * fragment ignored) is read as rules.bin, anything else as JSON.
 */
export function resolveArtifactFormat(artifactFormat: string | undefined, location: string): ArtifactFormat {
  if (typeof artifactFormat === "string") return artifactFormat === "bin" ? "bin" : "json";
  const path = location.replace(/[?#].*$/, "");
  return /.\.bin$/i.test(path) ? "bin" : "json";
}

export type LocationKind = "http" | "file";

/**
 * `http://` / `https://` → HTTP; `file://` URL or a plain path (absolute or relative) → file.
 * Any other URL scheme is a configuration error.
 */
export function locationKind(location: string): LocationKind {
  if (/^https?:\/\//i.test(location)) return "http";
  if (/^file:/i.test(location)) return "file";
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location)) {
    throw new DecisioningError(
      "ODE_ERR_INVALID_OPTION",
      `artifactLocation has an unsupported scheme: ${location}`,
      {
        details: { option: "artifactLocation" },
      },
    );
  }
  return "file";
}
