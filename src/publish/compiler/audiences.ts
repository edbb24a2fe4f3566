/**
 * Resolves stored audiences to json-logic: `targetRule` audiences through the targetRule compiler,
 * `audienceRule` composites by combining the audiences they reference (AND → and, OR → or,
 * NOT → negation of the AND of its rules). Pure; memoised per compilation.
 */
import type { Audience, AudienceRule, AudienceRuleNode } from "./model";
import { compileTargetRule, type CompiledRule, type JsonLogic } from "./target-rule";

/** A reference problem (unknown audience, cycle, both or neither rule kind). */
export class AudienceReferenceError extends Error {
  readonly audienceId: number | undefined;
  constructor(message: string, audienceId?: number) {
    super(message);
    this.name = "AudienceReferenceError";
    this.audienceId = audienceId;
  }
}

const MAX_RULE_DEPTH = 32;

export interface AudienceResolver {
  /** The compiled form of audience `id`; throws AudienceReferenceError for unknown ids or cycles. */
  resolve(id: number): CompiledRule;
  /** Whether any id in the list is decided remotely. */
  anyRemote(ids: readonly number[]): boolean;
}

export function createAudienceResolver(lookup: (id: number) => Audience | undefined): AudienceResolver {
  const done = new Map<number, CompiledRule>();
  const visiting = new Set<number>();

  const resolve = (id: number): CompiledRule => {
    const known = done.get(id);
    if (known) return known;
    if (visiting.has(id)) throw new AudienceReferenceError(`audience ${id} refers to itself through audienceRule (a cycle)`, id);
    const audience = lookup(id);
    if (!audience) throw new AudienceReferenceError(`unknown audience id ${id}`, id);
    visiting.add(id);
    try {
      const compiled = compileAudience(audience, resolve);
      done.set(id, compiled);
      return compiled;
    } finally {
      visiting.delete(id);
    }
  };
  return { resolve, anyRemote: (ids) => ids.some((id) => resolve(id).remote) };
}

function compileAudience(audience: Audience, resolve: (id: number) => CompiledRule): CompiledRule {
  const hasTarget = audience.targetRule !== undefined;
  const hasComposite = audience.audienceRule !== undefined;
  if (hasTarget === hasComposite) {
    throw new AudienceReferenceError(`audience ${audience.id} must have exactly one of targetRule and audienceRule`, audience.id);
  }
  if (hasTarget) return compileTargetRule(audience.targetRule);
  return compileComposite(audience.audienceRule!, resolve, 0);
}

function compileComposite(rule: AudienceRule, resolve: (id: number) => CompiledRule, depth: number): CompiledRule {
  if (depth > MAX_RULE_DEPTH) throw new AudienceReferenceError(`audienceRule nested deeper than ${MAX_RULE_DEPTH} levels`);
  const parts = rule.rules.map((node: AudienceRuleNode) =>
    "audienceId" in node ? resolve(node.audienceId) : compileComposite(node, resolve, depth + 1),
  );
  const remote = parts.find((p) => p.remote);
  if (remote) return remote;
  const conditions = parts.map((p) => (p as { condition: JsonLogic }).condition);
  const all = conditions.length === 1 ? conditions[0] : { and: conditions };
  if (rule.restRuleOperator === "AND") return { remote: false, condition: all };
  if (rule.restRuleOperator === "OR") return { remote: false, condition: conditions.length === 1 ? conditions[0] : { or: conditions } };
  return { remote: false, condition: { "!": all } };
}
