/**
 * The real production artifact (~750 KB) and synthetic artifacts scaled from it: every mbox, view
 * and rule is cloned (factor - 1) times under renamed names with distinct activity ids and rule
 * keys. The original names keep their rules, so a request for `perf-mbox` meets exactly the same
 * rules at 1×, 10× and 100×, while "all views" sees factor × as many view rules.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { conformanceDir } from "../../test/support/shared";

export type ArtifactJson = Record<string, any>;

const ACTIVITY_ID_STRIDE = 10_000_000;

export function productionArtifactPath(): string {
  return path.join(conformanceDir(), "artifacts", "PRODUCTION_ARTIFACT.json");
}

/** The production artifact's JSON text (parse it per client so no two clients share one object). */
export function loadProductionArtifactText(): string {
  return readFileSync(productionArtifactPath(), "utf8");
}

function cloneRule(rule: any, copy: number, rename: (name: string) => string): any {
  const clone = structuredClone(rule);
  const offset = copy * ACTIVITY_ID_STRIDE;
  const shift = (v: unknown) => (typeof v === "number" ? v + offset : `${String(v)}-x${copy}`);
  if (clone.ruleKey !== undefined) clone.ruleKey = `${clone.ruleKey}-x${copy}`;
  if (clone.activityId !== undefined) clone.activityId = shift(clone.activityId);
  if (clone.meta && clone.meta["activity.id"] !== undefined)
    clone.meta["activity.id"] = shift(clone.meta["activity.id"]);
  if (clone.meta && typeof clone.meta["activity.name"] === "string")
    clone.meta["activity.name"] += ` (x${copy})`;
  if (clone.meta && typeof clone.meta["location.name"] === "string")
    clone.meta["location.name"] = rename(clone.meta["location.name"]);
  if (clone.consequence && typeof clone.consequence.name === "string")
    clone.consequence.name = rename(clone.consequence.name);
  return clone;
}

function scaleGroup(group: Record<string, any[]> | undefined, factor: number): Record<string, any[]> {
  const out: Record<string, any[]> = {};
  if (!group) return out;
  for (const [name, rules] of Object.entries(group)) out[name] = rules;
  for (let copy = 1; copy < factor; copy++) {
    const rename = (n: string) => `${n}-x${copy}`;
    for (const [name, rules] of Object.entries(group))
      out[rename(name)] = rules.map((r) => cloneRule(r, copy, rename));
  }
  return out;
}

function scaleNames(names: unknown, factor: number): unknown {
  if (!Array.isArray(names)) return names;
  const out = [...names];
  for (let copy = 1; copy < factor; copy++) for (const n of names) out.push(`${String(n)}-x${copy}`);
  return out;
}

/** A new artifact object `factor` times the size of `base` (factor 1 returns a deep copy). */
export function scaleArtifact(base: ArtifactJson, factor: number): ArtifactJson {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`bad scale factor ${factor}`);
  const copy = structuredClone(base);
  if (factor === 1) return copy;
  copy.rules = {
    ...copy.rules,
    mboxes: scaleGroup(copy.rules?.mboxes, factor),
    views: scaleGroup(copy.rules?.views, factor),
  };
  copy.localMboxes = scaleNames(copy.localMboxes, factor);
  copy.remoteMboxes = scaleNames(copy.remoteMboxes, factor);
  copy.localViews = scaleNames(copy.localViews, factor);
  copy.remoteViews = scaleNames(copy.remoteViews, factor);
  return copy;
}

/** JSON text of the scaled artifact (the bench parses a fresh object for every client it creates). */
export function scaledArtifactText(baseText: string, factor: number): string {
  return factor === 1
    ? baseText
    : JSON.stringify(scaleArtifact(JSON.parse(baseText) as ArtifactJson, factor));
}

export function countRules(artifact: ArtifactJson): { mboxes: number; views: number; rules: number } {
  const count = (g: Record<string, any[]> | undefined) =>
    Object.values(g ?? {}).reduce((s, r) => s + r.length, 0);
  const m = count(artifact.rules?.mboxes);
  const v = count(artifact.rules?.views);
  return {
    mboxes: Object.keys(artifact.rules?.mboxes ?? {}).length,
    views: Object.keys(artifact.rules?.views ?? {}).length,
    rules: m + v,
  };
}
