/**
 * Geo on the wire: the `x-geo-*` values Target's CDN sends with the artifact (as response headers)
 * and its geo endpoint answers (as a JSON body with the same names), and IP literal validation.
 * Values are bounded: strings over 256 characters and non-numeric coordinates are dropped.
 */
import type { Geo } from "./delivery";

export const UNKNOWN_IP_ADDRESS = "unknownIpAddress";
export const FORWARDED_FOR_HEADER = "x-forwarded-for";
export const MAX_GEO_STRING = 256;

export type GeoValues = Pick<Geo, "ipAddress" | "latitude" | "longitude" | "countryCode" | "stateCode" | "city" | "zip">;

/** Header (or body key) → geo field. Latitude and longitude are numbers. */
const GEO_MAPPINGS: readonly { key: string; field: keyof GeoValues; numeric: boolean }[] = [
  { key: FORWARDED_FOR_HEADER, field: "ipAddress", numeric: false },
  { key: "x-geo-latitude", field: "latitude", numeric: true },
  { key: "x-geo-longitude", field: "longitude", numeric: true },
  { key: "x-geo-country-code", field: "countryCode", numeric: false },
  { key: "x-geo-region-code", field: "stateCode", numeric: false },
  { key: "x-geo-city", field: "city", numeric: false },
];

function setValue(out: GeoValues, field: keyof GeoValues, numeric: boolean, raw: unknown): void {
  if (numeric) {
    if (typeof raw !== "string" && typeof raw !== "number") return;
    const n = typeof raw === "number" ? raw : parseFloat(raw);
    if (Number.isFinite(n)) (out as Record<string, unknown>)[field] = n;
    return;
  }
  if (typeof raw === "string" && raw.length <= MAX_GEO_STRING) (out as Record<string, unknown>)[field] = raw;
}

function mapGeo(read: (key: string) => unknown): GeoValues {
  const out: GeoValues = {};
  for (const m of GEO_MAPPINGS) {
    const raw = read(m.key);
    if (raw !== null && raw !== undefined) setValue(out, m.field, m.numeric, raw);
  }
  return out;
}

/** Maps the CDN's `x-geo-*` response headers (sent with the artifact) to a geo object (possibly `{}`). */
export function geoFromHeaders(headers: { get(name: string): string | null }): Geo {
  return mapGeo((key) => headers.get(key));
}

/** Maps a geo-endpoint JSON body (header-named keys) to a geo object. */
export function geoFromPayload(payload: unknown): Geo {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return {};
  const body = payload as Record<string, unknown>;
  return mapGeo((key) => (Object.prototype.hasOwnProperty.call(body, key) ? body[key] : undefined));
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => IPV4_PART.test(p));
}

/** Number of 16-bit groups in a `:`-separated run, or -1 when invalid. */
function countGroups(run: string, ipv4Tail: boolean): number {
  if (run === "") return 0;
  const groups = run.split(":");
  let n = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (ipv4Tail && i === groups.length - 1 && g.includes(".")) {
      if (!isIPv4(g)) return -1;
      n += 2;
    } else if (HEX_GROUP.test(g)) n += 1;
    else return -1;
  }
  return n;
}

function isIPv6(input: string): boolean {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) {
    if (zone === s.length - 1) return false;
    s = s.slice(0, zone);
  }
  const gap = s.indexOf("::");
  if (gap === -1) return countGroups(s, true) === 8;
  if (gap !== s.lastIndexOf("::")) return false;
  const head = countGroups(s.slice(0, gap), false);
  const tail = countGroups(s.slice(gap + 2), true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

/** True for an IPv4 or IPv6 literal (IPv6 may carry a `%zone`), surrounding whitespace allowed. */
export function isValidIpAddress(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > 100) return false;
  const s = value.trim();
  return isIPv4(s) || (s.includes(":") && isIPv6(s));
}

/** The bounded geo values of an object a custom resolver returned (other keys are ignored). */
export function geoFromObject(found: Geo): GeoValues {
  const out: GeoValues = {};
  if (typeof found.ipAddress === "string" && found.ipAddress.length <= MAX_GEO_STRING) out.ipAddress = found.ipAddress;
  for (const field of ["latitude", "longitude"] as const) {
    const v = found[field];
    if (typeof v === "number" && Number.isFinite(v)) out[field] = v;
  }
  for (const field of ["countryCode", "stateCode", "city", "zip"] as const) {
    const v = found[field];
    if (typeof v === "string" && v.length <= MAX_GEO_STRING) out[field] = v;
  }
  return out;
}
