import type { Artifact, ArtifactRule } from "../../src/artifact/schema";
import type { DeliveryRequest, RequestDetails } from "../../src/protocol/delivery";
import { createRandom, type Random } from "../support/random";

/** User agents labelled with the `user.browserType` the reference derives from them. */
export const USER_AGENTS_BY_BROWSER: Record<string, readonly string[]> = {
  chrome: [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
  ],
  firefox: [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
  ],
  safari: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"],
  "mobile safari": [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  ],
  edge: [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
  ],
  ie: ["Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"],
  unknown: ["curl/8.4.0", "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.229 Version/11.62", ""],
};

const BASE_URLS = [
  "https://www.example.com/",
  "https://shop.example.co.uk/cart?item=42",
  "http://local-target-test:8080/",
  "https://Example.COM/Products/Shoes?Color=Red#top",
  "not a url",
];
const WORDS = ["foo", "bar", "Baz", "RED", "1", "true", "x y"];
const CITIES = ["SAN FRANCISCO", "Bucharest", "NEW YORK", "VANCOUVER"];
const COUNTRIES = ["US", "UNITED STATES", "RO", "CA"];
const REGIONS = ["CA", "NY", "B", "BC"];

export interface GeneratedGetOffersInput {
  request: DeliveryRequest;
  sessionId: string;
}

/** Literals an artifact's conditions compare each variable with, e.g. `mbox.color_lc` → {"red"}. */
export function literalsByVariable(artifact: Artifact): Map<string, Set<string | number | boolean>> {
  const out = new Map<string, Set<string | number | boolean>>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    for (const [op, args] of Object.entries(node as Record<string, unknown>)) {
      if (op === "var") continue;
      const list = Array.isArray(args) ? args : [args];
      const vars = list.map(variableOf).filter((v): v is string => v !== undefined);
      const literals = list.filter((a) => a === null || typeof a !== "object") as (string | number | boolean)[];
      for (const v of vars) for (const lit of literals) (out.get(v) ?? out.set(v, new Set()).get(v)!).add(lit);
      walk(args);
    }
  };
  for (const group of [artifact.rules.mboxes ?? {}, artifact.rules.views ?? {}]) {
    for (const rules of Object.values(group) as ArtifactRule[][]) for (const rule of rules) walk(rule.condition);
  }
  return out;
}

function variableOf(node: unknown): string | undefined {
  if (!node || typeof node !== "object" || Array.isArray(node)) return undefined;
  const record = node as Record<string, unknown>;
  if (typeof record.var === "string") return record.var;
  // {"substr": [{"var": …}, …]}
  if (Array.isArray(record.substr)) return variableOf(record.substr[0]);
  return undefined;
}

function strings(values: Iterable<string | number | boolean> | undefined): string[] {
  return [...(values ?? [])].map(String);
}

/**
 * `n` varied getOffers inputs for `artifact`, reproducible from `seed`: visitor ids (tntId with and
 * without location hint, MCID, thirdPartyId, customer ids — always one that fixes the allocation),
 * the artifact's mboxes (plus remote and unknown ones), views, pageLoad, URLs, user agents, mbox
 * parameters and geo built from the literals the conditions test (so audiences both match and miss),
 * property tokens, trace. No `ipAddress` without geo fields, so the reference never looks geo up.
 */
export function randomRequestsFor(artifact: Artifact, seed: number, n: number): GeneratedGetOffersInput[] {
  const r = createRandom(seed);
  const globalMbox = artifact.globalMbox ?? "target-global-mbox";
  const mboxes = [
    ...new Set([...Object.keys(artifact.rules.mboxes ?? {}).filter((m) => m !== globalMbox), ...(artifact.remoteMboxes ?? []), ...(artifact.localMboxes ?? []).filter((m) => m !== globalMbox), "unknown-mbox"]),
  ];
  const views = [...new Set([...Object.keys(artifact.rules.views ?? {}), ...(artifact.remoteViews ?? [])])];
  const literals = literalsByVariable(artifact);
  const tokens = [...new Set([...Object.values(artifact.rules.mboxes ?? {}), ...Object.values(artifact.rules.views ?? {})].flat().flatMap((rule) => rule.propertyTokens ?? []))];

  const params = new Map<string, string[]>();
  for (const [variable, values] of literals) {
    if (!variable.startsWith("mbox.")) continue;
    const lc = variable.endsWith("_lc");
    const key = variable.slice(5, lc ? -3 : undefined);
    const list = params.get(key) ?? [];
    for (const value of strings(values)) list.push(value, lc ? value.toUpperCase() : `${value}-x`);
    params.set(key, list);
  }
  const urls = [...BASE_URLS];
  const lit = (name: string) => strings(literals.get(name));
  for (const needle of [...lit("page.url_lc"), ...lit("page.url")]) urls.push(`https://www.example.com/${needle}`, `HTTPS://WWW.EXAMPLE.COM/${needle.toUpperCase()}?q=1`, needle);
  for (const domain of [...lit("page.domain_lc"), ...lit("page.domain")]) urls.push(`https://www.${domain}/`, `http://${domain}/x`);
  for (const path of [...lit("page.path_lc"), ...lit("page.path")]) urls.push(`https://www.example.com${path.startsWith("/") ? "" : "/"}${path}`);
  for (const query of lit("page.query_lc")) urls.push(`https://www.example.com/?${query}`, `https://www.example.com/?${query.toUpperCase()}&z=1`);
  const cities = [...CITIES, ...lit("geo.city")];
  const countries = [...COUNTRIES, ...lit("geo.country")];
  const regions = [...REGIONS, ...lit("geo.region")];
  const browsers = Object.keys(USER_AGENTS_BY_BROWSER);

  const detail = (): RequestDetails => {
    const out: RequestDetails = {};
    if (params.size > 0 && r.chance(0.7)) {
      const parameters: Record<string, unknown> = {};
      const names = [...params.keys()];
      for (let i = 1 + r.int(3); i > 0; i--) {
        const name = r.pick(names);
        parameters[name] = r.chance(0.85) ? r.pick(params.get(name)!) : r.pick(WORDS);
      }
      out.parameters = parameters;
    } else if (r.chance(0.2)) {
      out.parameters = { [r.pick(["foo", "a.b", "color"])]: r.pick(WORDS) };
    }
    if (r.chance(0.1)) out.address = { url: r.pick(urls) };
    return out;
  };
  const mboxList = () => Array.from({ length: 1 + r.int(3) }, (_, k) => ({ name: r.pick(mboxes), index: k + 1, ...detail() }));

  const inputs: GeneratedGetOffersInput[] = [];
  for (let i = 0; i < n; i++) {
    const request: DeliveryRequest = { requestId: `req-${seed}-${i}`, id: visitorId(r), context: context(r, urls, browsers, { cities, countries, regions }) };
    if (tokens.length > 0 && r.chance(0.5)) request.property = { token: r.chance(0.85) ? r.pick(tokens) : "unknown-property-token" };
    if (r.chance(0.15)) request.trace = {};
    if (r.chance(0.6)) {
      request.execute = {};
      if (r.chance(0.75)) request.execute.mboxes = mboxList();
      if (!request.execute.mboxes || r.chance(0.35)) request.execute.pageLoad = detail();
    }
    if (!request.execute || r.chance(0.45)) {
      request.prefetch = {};
      if (r.chance(0.5)) request.prefetch.mboxes = mboxList();
      if (views.length > 0 && r.chance(0.6)) {
        request.prefetch.views = r.chance(0.3) ? [detail()] : [{ name: r.chance(0.9) ? r.pick(views) : "no-such-view", ...detail() }];
      }
      if ((!request.prefetch.mboxes && !request.prefetch.views) || r.chance(0.25)) request.prefetch.pageLoad = detail();
    }
    inputs.push({ request, sessionId: `session-${seed}-${r.int(5)}` });
  }
  return inputs;
}

function visitorId(r: Random): NonNullable<DeliveryRequest["id"]> {
  switch (r.int(5)) {
    case 0:
      return { tntId: r.hex(32) };
    case 1:
      return { tntId: `${r.hex(32)}.${r.int(40)}_0` };
    case 2:
      return { marketingCloudVisitorId: String(10n ** 37n + BigInt(r.int(1e9)) * 7919n), ...(r.chance(0.5) ? { tntId: r.hex(32) } : {}) };
    case 3:
      return { thirdPartyId: `crm-${r.hex(10)}${r.chance(0.3) ? ".28_0" : ""}` };
    default:
      return { tntId: r.hex(32), customerIds: [{ id: r.hex(8), integrationCode: "crm", authenticatedState: r.pick(["authenticated", "logged_out", "unknown"]) }] };
  }
}

function context(r: Random, urls: readonly string[], browsers: readonly string[], geo: { cities: string[]; countries: string[]; regions: string[] }): DeliveryRequest["context"] {
  const ctx: NonNullable<DeliveryRequest["context"]> = { channel: "web" };
  if (r.chance(0.9)) ctx.address = { url: r.pick(urls), ...(r.chance(0.4) ? { referringUrl: r.pick(urls) } : {}) };
  if (r.chance(0.92)) ctx.userAgent = r.pick(USER_AGENTS_BY_BROWSER[r.pick(browsers)]!);
  if (r.chance(0.15)) ctx.clientHints = { browserUAWithMajorVersion: '"Chromium";v="118", "Google Chrome";v="118"', platform: r.pick(["Windows", "macOS", "Android"]) };
  if (r.chance(0.5)) {
    ctx.geo = {
      ...(r.chance(0.3) ? { ipAddress: "203.0.113.7" } : {}),
      city: r.pick(geo.cities),
      countryCode: r.pick(geo.countries),
      stateCode: r.pick(geo.regions),
      latitude: Math.round((37.7 + r.next() * 0.2) * 100) / 100,
      longitude: Math.round((-122.6 + r.next() * 0.4) * 100) / 100,
    };
  }
  return ctx;
}
