import UAParser from "ua-parser-js";
import { LruCache } from "../primitives/lru";
import type { ClientHints } from "../protocol/delivery";

/** What conditions see as `user.browserType`, `user.browserVersion` and `user.platform`. */
export interface BrowserInfo {
  /** Lower-cased browser name: `chrome`, `firefox`, `safari`, `mobile safari`, `edge`, `ie` or `unknown`. */
  browserType: string;
  /** Major version, `-1` when unknown. */
  browserVersion: number;
  platform: string;
}

/**
 * Target recognises only a handful of browsers and platforms, with its own first-match-wins rules
 * (docs/target-behaviour.md#rule-context). ua-parser-js is the matching engine, fed with extension lists that reproduce those
 * rules. ua-parser-js tries extensions before its built-in lists, so every list ends with a
 * catch-all: its own (much richer) detection never leaks into results.
 *
 * Results are written to keys of our own rather than `name`/`version`: in a browser, ua-parser-js
 * may overwrite `name` (Brave detection) or fill the OS `name` from `navigator.userAgentData`.
 */
const NAME = "targetName";
const VERSION = "targetVersion";
const UNKNOWN = "unknown";
const CATCH_ALL = /^/;

/** Regexes of a pair capture only the version; the props then store it and the constant name. */
const version = (name: string) => [VERSION, [NAME, name]];
const named = (name: string) => [[NAME, name]];

const USER_AGENT_BROWSERS = [
  [/(?:edge|edgios|edga|edg)\/([\w.]+)/i],
  version("Edge"),
  [/version\/([\w.]+).+?mobile\/\w+\ssafari/i],
  version("Mobile Safari"),
  [/version\/([\w.]+).+?safari/i],
  version("Safari"),
  [/chrome\/v?([\w.]+)/i],
  version("Chrome"),
  [/firefox\/([\w.-]+)$/i],
  version("Firefox"),
  [/(?:ms|\()ie\s([\w.]+)/i, /trident.+rv[:\s]([\w.]+).+like\sgecko/i],
  version("IE"),
  [CATCH_ALL],
  named(UNKNOWN),
];

/** Case-sensitive, as in the reference. */
const USER_AGENT_PLATFORMS = [
  [/iPhone|iPad|iPod/],
  named("iOS"),
  [/Android [0-9.]+;/],
  named("Android"),
  [/ Linux /],
  named("Linux"),
  [/FreeBSD|OpenBSD|CrOS/],
  named("Unix"),
  [/[( ]Windows /],
  named("Windows"),
  [/Macintosh;/],
  named("Mac OS"),
  [CATCH_ALL],
  named(UNKNOWN),
];

/** Brand lists of `Sec-CH-UA` / `Sec-CH-UA-Full-Version-List`; `"Chromium";v=` does not match `Chrome"`. */
const CLIENT_HINT_BROWSERS = [
  [/Chrome";v="([0-9.]+)"/i],
  version("Chrome"),
  [/Edge";v="([0-9.]+)"/i],
  version("Edge"),
  [/Safari";v="([0-9.]+)"/i],
  version("Safari"),
  [/Firefox";v="([0-9.]+)"/i],
  version("Firefox"),
  [CATCH_ALL],
  named(UNKNOWN),
];

/** Own-property lookup only, so names like `constructor` are kept verbatim. */
const PLATFORM_MAPPING = new Map<string, string>([
  ["Windows", "windows"],
  ["Macintosh", "mac"],
  ["Mac OS", "mac"],
  ["macOS", "mac"],
  ["Linux", "linux"],
]);

/**
 * Inputs are bounded: longer user agents / hint strings are cut to this length before matching
 * (the reference matches the whole string, which only matters for the end-anchored Firefox rule).
 */
const MAX_INPUT_LENGTH = 2000;
/** ua-parser-js truncates longer primitive strings (after trimming leading white space). */
const UA_PARSER_MAX_LENGTH = 500;
const CACHE_SIZE = 1000;

/** `type` is the lower-cased browser name (`unknown` when not recognised). */
interface BrowserMatch {
  readonly type: string;
  readonly version: number;
}
/** `platform` is already mapped. */
interface UserAgentMatch extends BrowserMatch {
  readonly platform: string;
}

type Parser = InstanceType<typeof UAParser>;
let parsers: { userAgent: Parser; clientHints: Parser } | undefined;

function getParsers(): { userAgent: Parser; clientHints: Parser } {
  // A placeholder UA keeps ua-parser-js from ever reading `navigator.userAgent` at construction.
  parsers ??= {
    userAgent: new UAParser(" ", { browser: USER_AGENT_BROWSERS, os: USER_AGENT_PLATFORMS }),
    clientHints: new UAParser(" ", { browser: CLIENT_HINT_BROWSERS }),
  };
  return parsers;
}

function setInput(parser: Parser, input: string): void {
  // ua-parser-js would cut a primitive string to 500 chars; a String object is left as is (and
  // RegExp#exec converts it back), so the whole bounded input is matched, as the reference does.
  parser.setUA(input.length > UA_PARSER_MAX_LENGTH ? (new String(input) as unknown as string) : input);
}

/** `parseInt` of the text before the first `.` (`"12abc"` → 12); NaN or negative → `-1`. */
function majorVersion(value: unknown): number {
  if (typeof value !== "string") return -1;
  const dot = value.indexOf(".");
  const major = parseInt(dot === -1 ? value : value.slice(0, dot), 10);
  return major >= 0 ? major : -1;
}

function mapPlatform(platform: string): string {
  return PLATFORM_MAPPING.get(platform) ?? platform;
}

function matchedBrowser(result: object): BrowserMatch {
  const fields = result as Record<string, unknown>;
  const name = fields[NAME];
  return {
    type: typeof name === "string" ? name.toLowerCase() : UNKNOWN,
    version: majorVersion(fields[VERSION]),
  };
}

function matchUserAgentUncached(userAgent: string): UserAgentMatch {
  const parser = getParsers().userAgent;
  setInput(parser, userAgent);
  const browser = matchedBrowser(parser.getBrowser());
  const platform = (parser.getOS() as unknown as Record<string, unknown>)[NAME];
  return Object.freeze({
    ...browser,
    platform: mapPlatform(typeof platform === "string" ? platform : UNKNOWN),
  });
}

function matchClientHintsUncached(brands: string): BrowserMatch {
  const parser = getParsers().clientHints;
  setInput(parser, brands);
  return Object.freeze(matchedBrowser(parser.getBrowser()));
}

const EMPTY_USER_AGENT: UserAgentMatch = Object.freeze({ type: UNKNOWN, version: -1, platform: UNKNOWN });
const EMPTY_CLIENT_HINTS: BrowserMatch = Object.freeze({ type: UNKNOWN, version: -1 });
const userAgentCache = new LruCache<string, UserAgentMatch>(CACHE_SIZE);
const clientHintsCache = new LruCache<string, BrowserMatch>(CACHE_SIZE);

function cached<T>(cache: LruCache<string, T>, input: string, match: (input: string) => T): T {
  let result = cache.get(input);
  if (result === undefined) {
    result = match(input);
    cache.set(input, result);
  }
  return result;
}

function matchUserAgent(userAgent: unknown): UserAgentMatch {
  if (typeof userAgent !== "string" || userAgent === "") return EMPTY_USER_AGENT;
  const input = userAgent.length > MAX_INPUT_LENGTH ? userAgent.slice(0, MAX_INPUT_LENGTH) : userAgent;
  return cached(userAgentCache, input, matchUserAgentUncached);
}

function matchClientHints(clientHints: ClientHints | undefined): BrowserMatch {
  const full = clientHints?.browserUAWithFullVersion;
  // The full-version list wins whenever it is a non-empty string.
  const brands = typeof full === "string" && full !== "" ? full : clientHints?.browserUAWithMajorVersion;
  if (typeof brands !== "string" || brands === "") return EMPTY_CLIENT_HINTS;
  const input = brands.length > MAX_INPUT_LENGTH ? brands.slice(0, MAX_INPUT_LENGTH) : brands;
  return cached(clientHintsCache, input, matchClientHintsUncached);
}

/**
 * Browser and platform of a request (`user.*` of the rule context). The user-agent result is overridden field by field
 * by the client-hint brands (name when recognised, version when known); the platform is
 * `clientHints.platform` verbatim when given, else derived from the user agent, then mapped
 * (`Windows`→`windows`, `Mac OS`/`Macintosh`/`macOS`→`mac`, `Linux`→`linux`, others unchanged).
 * Non-string inputs count as absent.
 */
export function parseUserAgent(userAgent: unknown, clientHints?: ClientHints): BrowserInfo {
  const hints = clientHints !== null && typeof clientHints === "object" ? clientHints : undefined;
  const fromAgent = matchUserAgent(userAgent);
  const fromHints = matchClientHints(hints);
  const hintedPlatform = hints?.platform;
  return {
    browserType: fromHints.type !== UNKNOWN ? fromHints.type : fromAgent.type,
    browserVersion: fromHints.version >= 0 ? fromHints.version : fromAgent.version,
    platform: typeof hintedPlatform === "string" ? mapPlatform(hintedPlatform) : fromAgent.platform,
  };
}
