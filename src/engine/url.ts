import { parse as parsePublicSuffix } from "psl";
import { LruCache } from "../primitives/lru";

/**
 * The URL context of a page or referrer as conditions see it (`page.*`, `referring.*`; see
 * docs/target-behaviour.md#rule-context).
 * Key order matches the reference: the seven parts, then their lower-cased copies.
 */
export interface UrlContext {
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly fragment: string;
  readonly subdomain: string;
  readonly domain: string;
  readonly topLevelDomain: string;
  readonly url_lc: string;
  readonly path_lc: string;
  readonly query_lc: string;
  readonly fragment_lc: string;
  readonly subdomain_lc: string;
  readonly domain_lc: string;
  readonly topLevelDomain_lc: string;
}

export interface DomainParts {
  readonly subdomain: string;
  readonly domain: string;
  readonly topLevelDomain: string;
}

export interface UrlParts {
  host: string;
  path: string;
  query: string;
  fragment: string;
}

/** Results are shared (frozen); inputs longer than these limits are parsed but not cached. */
const URL_CACHE_SIZE = 2000;
const HOST_CACHE_SIZE = 1000;
const MAX_CACHED_URL_LENGTH = 2048;
const MAX_CACHED_HOST_LENGTH = 256;

const urlCache = new LruCache<string, UrlContext>(URL_CACHE_SIZE);
const hostCache = new LruCache<string, DomainParts>(HOST_CACHE_SIZE);

const COLON = 58;
const AT = 64;
const SLASH = 47;
const QUESTION = 63;
const HASH = 35;

/** Character classes of the loose grammar, as bit masks over the ASCII delimiters they stop at. */
const CLASS_BITS: Record<string, number> = { ":": 1, "@": 2, "/": 4, "?": 8, "#": 16, ".": 32 };
const COLON_AT = 1 | 2;
const COLON_AT_SLASH = 1 | 2 | 4;
const SCHEME_END = 1 | 4 | 8 | 16 | 32;
const HOST_END = 1 | 4 | 8 | 16;
const PATH_END = 8 | 16;
const FILE_END = 4 | 8 | 16;
const DELIMITERS = new Uint8Array(128);
for (const [char, bit] of Object.entries(CLASS_BITS)) DELIMITERS[char.charCodeAt(0)] = bit;

/** Index of the first char at or after `from` that is in the class `mask`, or `s.length`. */
function indexOfAny(s: string, from: number, mask: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (DELIMITERS[c]! & mask) !== 0) return i;
  }
  return s.length;
}

/** Line terminators end the fragment (it is matched with a dot, which excludes them). */
function fragmentEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return i;
  }
  return s.length;
}

/**
 * Splits a URL the way Steven Levithan's parseUri does in its *loose* mode, which is what the
 * reference uses; only host, path, query and fragment are produced. Loose mode is lenient: a leading
 * `name:` is a scheme only when it is not the start of `user:password@`, `//` is optional (so
 * `adobe.com/x` has host `adobe.com`), user-info is anything up to an `@` (even across `/`), and
 * after a port-like `:` the remaining text up to the next `/`, `?` or `#` becomes the path.
 * Never throws; every input gives some split.
 */
export function splitUrl(s: string): UrlParts {
  let pos = 0;
  // Scheme: skipped when the text looks like `user:pass@…` (a colon, then an `@` before any `/`).
  const firstColonOrAt = indexOfAny(s, 0, COLON_AT);
  const looksLikeUserInfo =
    firstColonOrAt > 0 &&
    s.charCodeAt(firstColonOrAt) === COLON &&
    s.charCodeAt(indexOfAny(s, firstColonOrAt + 1, COLON_AT_SLASH)) === AT;
  if (!looksLikeUserInfo) {
    const schemeEnd = indexOfAny(s, 0, SCHEME_END);
    if (schemeEnd > 0 && s.charCodeAt(schemeEnd) === COLON) pos = schemeEnd + 1;
  }
  if (s.charCodeAt(pos) === SLASH && s.charCodeAt(pos + 1) === SLASH) pos += 2;
  // User-info: `user@` or `user:password@`, where neither part contains `:` or `@`.
  const infoEnd = indexOfAny(s, pos, COLON_AT);
  if (s.charCodeAt(infoEnd) === AT) {
    pos = infoEnd + 1;
  } else if (infoEnd < s.length) {
    const passwordEnd = indexOfAny(s, infoEnd + 1, COLON_AT);
    if (s.charCodeAt(passwordEnd) === AT) pos = passwordEnd + 1;
  }
  const hostEnd = indexOfAny(s, pos, HOST_END);
  const host = s.slice(pos, hostEnd);
  pos = hostEnd;
  if (s.charCodeAt(pos) === COLON) {
    pos++;
    while (pos < s.length && s.charCodeAt(pos) >= 48 && s.charCodeAt(pos) <= 57) pos++;
  }
  // Path: from a `/` it runs to `?`/`#`; otherwise it is one segment, and a `/` after it ends the match.
  let pathEnd: number;
  if (s.charCodeAt(pos) === SLASH) {
    pathEnd = indexOfAny(s, pos, PATH_END);
  } else {
    pathEnd = indexOfAny(s, pos, FILE_END);
    if (s.charCodeAt(pathEnd) === SLASH)
      return { host, path: s.slice(pos, pathEnd), query: "", fragment: "" };
  }
  const path = s.slice(pos, pathEnd);
  let query = "";
  let fragment = "";
  pos = pathEnd;
  if (s.charCodeAt(pos) === QUESTION) {
    const queryEnd = s.indexOf("#", pos + 1);
    pos = queryEnd === -1 ? s.length : queryEnd;
    query = s.slice(pathEnd + 1, pos);
  }
  if (s.charCodeAt(pos) === HASH) fragment = s.slice(pos + 1, fragmentEnd(s, pos + 1));
  return { host, path, query, fragment };
}

/**
 * Public-suffix parsing with `psl` (its bundled list, private suffixes included). The reference
 * bundles an older psl: its list differs for rarely used suffixes, and its validation rejects `_` in
 * labels where ours accepts it, so `_` is rejected here too (such hosts are not registrable names).
 */
function domainPartsUncached(host: string): DomainParts {
  let parsed: ReturnType<typeof parsePublicSuffix> | undefined;
  try {
    parsed = host.includes("_") ? undefined : parsePublicSuffix(host);
  } catch {
    // punycode can throw on pathological input; such a host is simply not a registrable name.
    parsed = undefined;
  }
  if (parsed === undefined || parsed.error !== undefined || !parsed.domain || !parsed.listed) {
    return { subdomain: "", domain: host, topLevelDomain: "" };
  }
  let subdomain = parsed.subdomain ?? "";
  // Reference quirk: any subdomain that starts with "www" loses its first 4 chars ("www2.shop" → ".shop").
  if (subdomain.startsWith("www")) subdomain = subdomain.substring(4);
  return { subdomain, domain: parsed.domain, topLevelDomain: parsed.tld ?? "" };
}

/**
 * Subdomain, registrable domain and public suffix of a host (public-suffix list, private suffixes
 * included). Hosts that are not a registrable name under a listed suffix (IPs, single labels, `""`,
 * invalid characters) give `{subdomain: "", domain: host, topLevelDomain: ""}`, case preserved.
 */
export function domainParts(host: string): DomainParts {
  if (host.length > MAX_CACHED_HOST_LENGTH) return domainPartsUncached(host);
  let parts = hostCache.get(host);
  if (parts === undefined) {
    parts = Object.freeze(domainPartsUncached(host));
    hostCache.set(host, parts);
  }
  return parts;
}

function createUrlContext(url: string): UrlContext {
  const { host, path, query, fragment } =
    url === "" ? { host: "", path: "", query: "", fragment: "" } : splitUrl(url);
  const { subdomain, domain, topLevelDomain } = domainParts(host);
  return Object.freeze({
    url,
    path,
    query,
    fragment,
    subdomain,
    domain,
    topLevelDomain,
    url_lc: url.toLowerCase(),
    path_lc: path.toLowerCase(),
    query_lc: query.toLowerCase(),
    fragment_lc: fragment.toLowerCase(),
    subdomain_lc: subdomain.toLowerCase(),
    domain_lc: domain.toLowerCase(),
    topLevelDomain_lc: topLevelDomain.toLowerCase(),
  });
}

const EMPTY_URL_CONTEXT = createUrlContext("");

/**
 * The URL context of `url` (non-strings and missing values count as `""`). The result is frozen
 * and may be shared between calls: repeated URLs are served from a bounded LRU cache.
 */
export function parseUrlContext(url: unknown): UrlContext {
  if (typeof url !== "string" || url === "") return EMPTY_URL_CONTEXT;
  if (url.length > MAX_CACHED_URL_LENGTH) return createUrlContext(url);
  let context = urlCache.get(url);
  if (context === undefined) {
    context = createUrlContext(url);
    urlCache.set(url, context);
  }
  return context;
}
