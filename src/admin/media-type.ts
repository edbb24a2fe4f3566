/**
 * Admin API versioning: the version travels in `Content-Type` for requests with a body (POST, PUT,
 * PATCH) and in `Accept` otherwise, as `application/vnd.adobe.target.v<N>+json`; none means 1.
 * Versions 1–3 exist; any other → 406 Unsupported.Feature.
 */
import { unsupportedVersion } from "./errors";

export const MAX_API_VERSION = 3;
const VENDOR_TYPE = /application\/vnd\.adobe\.target\.v(\d+)\+json/gi;

export function mediaType(version: number): string {
  return `application/vnd.adobe.target.v${version}+json`;
}

/** The version a request asks for. */
export function requestVersion(method: string, headers: Record<string, string | string[] | undefined>): number {
  const withBody = method === "POST" || method === "PUT" || method === "PATCH";
  const raw = headers[withBody ? "content-type" : "accept"];
  const header = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
  const versions = [...header.matchAll(VENDOR_TYPE)].map((m) => Number(m[1]));
  if (versions.length === 0) return 1;
  const supported = versions.filter((v) => v >= 1 && v <= MAX_API_VERSION);
  // Accept may list several versions; the highest one we serve wins.
  if (supported.length === 0) throw unsupportedVersion(`version ${versions[0]} does not exist (1-${MAX_API_VERSION})`);
  return Math.max(...supported);
}
