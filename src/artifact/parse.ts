/**
 * Artifact text/bytes → validated {@link Artifact}. Runtime-neutral (no Node built-ins, no Buffer).
 *
 * Validation happens before an artifact may replace the one in use: a bad artifact never replaces a
 * good one. It checks the structure the engine relies on, not every field (unknown keys are allowed,
 * the content of options is the engine's business).
 */
import { DecisioningError } from "../errors";
import { findBoundsViolation } from "../primitives/json-bounds";
import { SUPPORTED_ARTIFACT_MAJOR_VERSION, type Artifact, artifactMajorVersion } from "./schema";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Deepest nesting accepted anywhere in an artifact. A condition at the compiler's own limit (200
 * operator levels, two JSON levels each) stays below it; a 20,000-level option content, which
 * would make every decision for its mbox overflow the stack, does not.
 */
export const MAX_ARTIFACT_DEPTH = 512;
/** Most values walked in one artifact (a 50 MiB JSON text holds fewer; bounds shared sub-objects of a payload). */
export const MAX_ARTIFACT_VALUES = 25_000_000;

/** The error for an artifact above `maximumArtifactSize` (size may be a lower bound when streaming). */
export function artifactTooLarge(size: number, limit: number, location: string): DecisioningError {
  return new DecisioningError(
    "ODE_ERR_ARTIFACT_TOO_LARGE",
    `The artifact (${size} bytes or more) exceeds maximumArtifactSize (${limit} bytes)`,
    { details: { artifactLocation: location, size, maximumArtifactSize: limit } },
  );
}

/** Decodes UTF-8 strictly: invalid byte sequences are a parse error, a leading BOM is dropped. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new DecisioningError("ODE_ERR_ARTIFACT_PARSE", "The artifact is not valid UTF-8", { cause });
  }
}

/** Parses JSON text; a syntax error becomes ODE_ERR_ARTIFACT_PARSE. Does not validate the shape. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecisioningError("ODE_ERR_ARTIFACT_PARSE", `Unable to read artifact JSON: ${reason}`, {
      cause,
    });
  }
}

/** JSON text → validated artifact. */
export function parseArtifactText(text: string): Artifact {
  return validateArtifact(parseJsonText(text));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `Invalid artifact: ${message}`);
}

function checkOptionalArray(owner: Record<string, unknown>, key: string, where: string): void {
  if (owner[key] !== undefined && !Array.isArray(owner[key]))
    throw invalid(`${where}.${key} is not an array`);
}

/**
 * Checks the shape the engine relies on and the major version. Returns the same object (typed);
 * never copies or mutates it.
 *
 * - every part (rules, option content, consequence keys, meta, …) nested deeper than
 *   {@link MAX_ARTIFACT_DEPTH}, a string or key that is not well-formed UTF-16, or a function,
 *   symbol or bigint in a payload object → ODE_ERR_ARTIFACT_INVALID (`details.reason`, `details.path`)
 * - not an object → ODE_ERR_ARTIFACT_INVALID; `version` not a string → ODE_ERR_ARTIFACT_INVALID
 * - major version ≠ 1 → ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED
 * - `rules` not an object, `rules.mboxes`/`rules.views` not objects, a rule list not an array, a rule
 *   without an object `consequence`/`meta` or without `condition`, `consequence.options`/`metrics`
 *   present but not arrays, top-level lists (`responseTokens`, `remoteMboxes`, …) not arrays, or an
 *   mbox/view named `__proto__`/`constructor`/`prototype` → ODE_ERR_ARTIFACT_INVALID
 */
export function validateArtifact(value: unknown): Artifact {
  if (!isRecord(value)) throw invalid("the top level is not a JSON object");
  const violation = findBoundsViolation(value, { maxDepth: MAX_ARTIFACT_DEPTH, maxNodes: MAX_ARTIFACT_VALUES });
  if (violation) {
    throw new DecisioningError("ODE_ERR_ARTIFACT_INVALID", `Invalid artifact: ${violation.message}`, {
      details: { reason: violation.reason, path: violation.path },
    });
  }
  if (typeof value.version !== "string") throw invalid("version is missing or not a string");
  const major = artifactMajorVersion(value.version);
  if (major !== SUPPORTED_ARTIFACT_MAJOR_VERSION) {
    throw new DecisioningError(
      "ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED",
      `The decisioning artifact version (${value.version}) is not supported. This library is compatible with this major version: ${SUPPORTED_ARTIFACT_MAJOR_VERSION}`,
      { details: { version: value.version } },
    );
  }
  if (value.meta !== undefined && !isRecord(value.meta)) throw invalid("meta is not an object");
  if (value.globalMbox !== undefined && typeof value.globalMbox !== "string")
    throw invalid("globalMbox is not a string");
  for (const key of ["responseTokens", "remoteMboxes", "localMboxes", "remoteViews", "localViews"]) {
    checkOptionalArray(value, key, "artifact");
  }
  const rules = value.rules;
  if (!isRecord(rules)) throw invalid("rules is missing or not an object");
  for (const group of ["mboxes", "views"] as const) {
    const byName = rules[group];
    if (byName === undefined) continue;
    if (!isRecord(byName)) throw invalid(`rules.${group} is not an object`);
    for (const name of Object.keys(byName)) {
      if (FORBIDDEN_KEYS.has(name)) throw invalid(`rules.${group} uses the forbidden name "${name}"`);
      const list = byName[name];
      if (!Array.isArray(list)) throw invalid(`rules.${group}["${name}"] is not an array`);
      for (let i = 0; i < list.length; i++) validateRule(list[i], `rules.${group}["${name}"][${i}]`);
    }
  }
  return value as unknown as Artifact;
}

function validateRule(rule: unknown, where: string): void {
  if (!isRecord(rule)) throw invalid(`${where} is not an object`);
  if (!("condition" in rule) || rule.condition === undefined) throw invalid(`${where} has no condition`);
  if (!isRecord(rule.meta)) throw invalid(`${where}.meta is missing or not an object`);
  const consequence = rule.consequence;
  if (!isRecord(consequence)) throw invalid(`${where}.consequence is missing or not an object`);
  checkOptionalArray(consequence, "options", `${where}.consequence`);
  checkOptionalArray(consequence, "metrics", `${where}.consequence`);
  if (rule.propertyTokens !== undefined && !Array.isArray(rule.propertyTokens)) {
    throw invalid(`${where}.propertyTokens is not an array`);
  }
}

export { artifactMajorVersion };
