/**
 * Media types of the XCore API: `application/vnd.adobe.platform.xcore.{format}+json` with optional
 * `schema="…"` and `version=1` parameters, the legacy write spelling
 * `application/schema-instance+json; version=1; schema="…"`, and plain JSON. Negotiation rules
 * (docs/repository.md): a non-JSON Content-Type on a write is 415; an Accept that excludes every
 * JSON representation is 406; `*` and `*\/*` always pass.
 */
import { repoError } from "./problem";

export const XCORE_MEDIA = "application/vnd.adobe.platform.xcore";
export const RESULTS_SCHEMA = "https://ns.adobe.com/experience/xcore/hal/results";
export const CONTAINER_SCHEMA = "https://ns.adobe.com/experience/xcore/container";
export const HOME_SCHEMA = "https://ns.adobe.com/experience/xcore/home";

export interface MediaType {
  /** type/subtype, lowercase, e.g. "application/vnd.adobe.platform.xcore.hal+json". */
  essence: string;
  params: Record<string, string>;
}

/** Parses one media type with parameters (quoted values may contain `;` and `,`). */
export function parseMediaType(text: string): MediaType | undefined {
  const match = /^\s*([^\s;/]+\/[^\s;]+)\s*/.exec(text);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramRe = /;\s*([^=\s;]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;,\s]*)\s*/gy;
  paramRe.lastIndex = match[0].length;
  let m: RegExpExecArray | null;
  while ((m = paramRe.exec(text)) !== null) {
    params[m[1]!.toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[2]!;
  }
  return { essence: match[1]!.toLowerCase(), params };
}

/** Splits an Accept header into media ranges, respecting quoted parameter values. */
function splitAccept(header: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

const isJsonEssence = (essence: string) => essence === "application/json" || essence.endsWith("+json");

/** Throws 406 unless the Accept header admits some JSON representation (absent = anything). */
export function assertAcceptsJson(accept: string | undefined): void {
  if (accept === undefined || accept.trim() === "") return;
  for (const range of splitAccept(accept)) {
    const media = range.trim() === "*" ? { essence: "*/*", params: {} } : parseMediaType(range);
    if (!media) continue;
    if (media.params.q !== undefined && Number(media.params.q) === 0) continue;
    if (media.essence === "*/*" || media.essence === "application/*" || isJsonEssence(media.essence)) return;
  }
  throw repoError("ODE_ERR_REPO_NOT_ACCEPTABLE", 406, `Cannot produce a JSON representation acceptable to "${accept}"`);
}

export type WriteFormat = "instance" | "patch";

/**
 * The schema named by a write's Content-Type (undefined when the type is JSON without one).
 * Throws 415 for a missing or non-JSON Content-Type, or a patch body sent as an instance (and back).
 */
export function writeMediaSchema(contentType: string | undefined, format: WriteFormat): string | undefined {
  const media = contentType ? parseMediaType(contentType) : undefined;
  const unsupported = () =>
    repoError(
      "ODE_ERR_REPO_UNSUPPORTED_MEDIA_TYPE",
      415,
      format === "patch"
        ? `PATCH needs Content-Type ${XCORE_MEDIA}.patch.hal+json (or application/json-patch+json), got "${contentType ?? ""}"`
        : `Writes need Content-Type ${XCORE_MEDIA}.hal+json; schema="…" (or a JSON type), got "${contentType ?? ""}"`,
    );
  if (!media || !isJsonEssence(media.essence)) throw unsupported();
  if (format === "patch") {
    const ok = [`${XCORE_MEDIA}.patch.hal+json`, "application/json-patch+json", "application/json"];
    if (!ok.includes(media.essence)) throw unsupported();
    return undefined;
  }
  if (media.essence.endsWith("patch.hal+json") || media.essence === "application/json-patch+json") throw unsupported();
  return media.params.schema !== undefined && media.params.schema !== "" ? media.params.schema : undefined;
}

/** A Content-Type for responses: `application/vnd.adobe.platform.xcore.{format}+json[; schema="…"]`. */
export function xcoreType(format: "hal" | "home.hal" | "xdm.receipt", schema?: string): string {
  return `${XCORE_MEDIA}.${format}+json; version=1${schema ? `; schema="${schema}"` : ""}`;
}
