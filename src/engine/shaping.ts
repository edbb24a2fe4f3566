import type { ArtifactOption } from "../artifact/schema";
import type { CompiledRule } from "./compile";
import type { ResponseOption } from "./types";

/**
 * Per-request parts of response shaping (spec §5.6): response tokens and campaign macros.
 * Everything request-independent was precomputed by the compiler.
 */

const MACRO_PATTERN = /\$\{([a-zA-Z0-9_.]*?)\}/g;
const MACRO_RENAME = /campaign|recipe/gi;
const MACRO_RENAMES: Record<string, string> = { campaign: "activity", recipe: "experience" };

export interface GeoTokensSource {
  city?: unknown;
  country?: unknown;
  region?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}

/** The response tokens that do not depend on the rule: decisioning method and geo. */
export function requestResponseTokens(allowed: ReadonlySet<string>, geo: GeoTokensSource): Record<string, unknown> {
  const tokens: Record<string, unknown> = { "activity.decisioningMethod": "on-device" };
  if (allowed.has("geo.city") && geo.city !== undefined) tokens["geo.city"] = geo.city;
  if (allowed.has("geo.country") && geo.country !== undefined) tokens["geo.country"] = geo.country;
  if (allowed.has("geo.state") && geo.region !== undefined) tokens["geo.state"] = geo.region;
  if (allowed.has("geo.latitude") && geo.latitude !== undefined) tokens["geo.latitude"] = geo.latitude;
  if (allowed.has("geo.longitude") && geo.longitude !== undefined) tokens["geo.longitude"] = geo.longitude;
  return tokens;
}

function macroValue(key: string, sources: readonly unknown[], original: string): string {
  for (const source of sources) {
    if (source !== null && typeof source === "object") {
      const value = (source as Record<string, unknown>)[key];
      if (value !== undefined) return String(value);
    }
  }
  return original;
}

function replaceMacros(text: unknown, rule: CompiledRule, detail: Record<string, unknown>): unknown {
  if (typeof text !== "string") return text;
  const parameters = detail.parameters === undefined ? {} : detail.parameters;
  const sources = [rule.rule.meta, detail, parameters];
  return text.replace(MACRO_PATTERN, (match: string, macroKey: string) => {
    let parts = macroKey.replace(MACRO_RENAME, (m) => String(MACRO_RENAMES[m])).split(".");
    if (parts.length > 2) parts = parts.slice(parts.length - 2);
    const key = parts.filter((p) => p !== "mbox").join(".");
    return macroValue(key, sources, match);
  });
}

/** One option of a matched consequence as it appears in the response. */
export function finishOption(
  option: Readonly<ArtifactOption>,
  rule: CompiledRule,
  detail: Record<string, unknown>,
  requestTokens: Record<string, unknown>,
): ResponseOption {
  const out: ResponseOption = { ...option, responseTokens: { ...rule.metaTokens, ...requestTokens } };
  if (rule.hasMacros) {
    if (option.type === "html") {
      out.content = replaceMacros(option.content, rule, detail);
    } else if (option.type === "actions" && Array.isArray(option.content)) {
      out.content = option.content.map((action: unknown) => {
        if (action === null || typeof action !== "object") return action;
        const a = action as Record<string, unknown>;
        return { ...a, content: replaceMacros(a.content, rule, detail) };
      });
    }
  }
  return out;
}
