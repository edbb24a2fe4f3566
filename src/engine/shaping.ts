import type { ArtifactOption } from "../artifact/schema";
import type { ResponseOption } from "../protocol/delivery";

/**
 * Per-request parts of response shaping (docs/target-behaviour.md#response-shaping): response
 * tokens and campaign macros.
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

/** A compiled macro string: literal text, and the keys that must be looked up per request. */
export type MacroPart = string | { key: string; original: string };
export type MacroTemplate = readonly MacroPart[];

/** How one option's content is rebuilt per request (only options that contain macros have one). */
export type OptionMacros =
  | { kind: "html"; template: MacroTemplate }
  | { kind: "actions"; templates: readonly (MacroTemplate | undefined)[] };

function macroKey(raw: string): string {
  let parts = raw.replace(MACRO_RENAME, (m) => String(MACRO_RENAMES[m])).split(".");
  if (parts.length > 2) parts = parts.slice(parts.length - 2);
  return parts.filter((p) => p !== "mbox").join(".");
}

/**
 * Compiles `${...}` macros once. Keys defined in the rule's meta (looked up first, as the reference
 * does) become literal text; the others stay as keys for the request detail and its parameters.
 */
export function compileMacroTemplate(text: string, meta: Record<string, unknown>): MacroTemplate {
  const parts: MacroPart[] = [];
  let last = 0;
  let literal = "";
  for (const match of text.matchAll(MACRO_PATTERN)) {
    literal += text.slice(last, match.index);
    last = match.index! + match[0].length;
    const key = macroKey(match[1]!);
    const fromMeta = meta !== null && typeof meta === "object" ? meta[key] : undefined;
    if (fromMeta !== undefined) {
      literal += String(fromMeta);
    } else {
      parts.push(literal, { key, original: match[0] });
      literal = "";
    }
  }
  parts.push(literal + text.slice(last));
  return parts;
}

function applyTemplate(template: MacroTemplate, detail: Record<string, unknown>): string {
  if (template.length === 1) return template[0] as string;
  const parameters = detail.parameters === undefined ? {} : detail.parameters;
  let out = "";
  for (const part of template) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    let value = detail[part.key];
    if (value === undefined && parameters !== null && typeof parameters === "object") {
      value = (parameters as Record<string, unknown>)[part.key];
    }
    out += value === undefined ? part.original : String(value);
  }
  return out;
}

/** What option shaping reads of a compiled rule (the compiler's CompiledRule has these). */
export interface ShapingRule {
  readonly metaTokens: Readonly<Record<string, unknown>>;
  readonly macros: ReadonlyMap<Readonly<ArtifactOption>, OptionMacros> | undefined;
}

/** One option of a matched consequence as it appears in the response. */
export function finishOption(
  option: Readonly<ArtifactOption>,
  rule: ShapingRule,
  detail: Record<string, unknown>,
  requestTokens: Record<string, unknown>,
): ResponseOption {
  const out: ResponseOption = { ...option, responseTokens: { ...rule.metaTokens, ...requestTokens } };
  const macros = rule.macros?.get(option);
  if (macros) {
    if (macros.kind === "html") {
      out.content = applyTemplate(macros.template, detail);
    } else {
      out.content = (option.content as unknown[]).map((action, i) => {
        const template = macros.templates[i];
        if (!template) return action;
        return { ...(action as Record<string, unknown>), content: applyTemplate(template, detail) };
      });
    }
  }
  return out;
}
