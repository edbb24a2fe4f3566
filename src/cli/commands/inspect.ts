/** `odd artifact inspect`: what an artifact contains, as text or JSON. */
import type { Artifact, ArtifactRule } from "../../artifact/schema";
import { compileArtifact } from "../../engine/compile";
import { collectOperators } from "../../engine/conditions";
import { envValue, EXIT_OK, flag, str, type Command } from "../args";
import { displayName, formatBytes, json, loadArtifact, writeOutput } from "../io";
import { ARTIFACT_OPTIONS } from "./common";

const LIST_LIMIT = 25;

export interface ActivitySummary {
  id: unknown;
  name: unknown;
  type: unknown;
  experiences: { id: unknown; name: unknown }[];
  mboxes: string[];
  views: string[];
  audienceIds: unknown[];
  rules: number;
}

export interface ArtifactSummary {
  source: string;
  format: "json" | "bin";
  sizeBytes: number;
  version: string;
  meta: Record<string, unknown>;
  globalMbox: string;
  geoTargetingEnabled: boolean;
  rules: { total: number; mbox: number; view: number };
  mboxes: { names: string[]; local: string[]; remote: string[] };
  views: { names: string[]; local: string[]; remote: string[] };
  activities: ActivitySummary[];
  audiences: { id: unknown; rules: number }[];
  responseTokens: string[];
  operators: string[];
}

function addUnique<T>(list: T[], value: T): void {
  if (!list.some((x) => JSON.stringify(x) === JSON.stringify(value))) list.push(value);
}

/** Summarises a validated artifact (pure; compiles it to report operator problems as errors). */
export function summarizeArtifact(
  artifact: Artifact,
  source: string,
  format: "json" | "bin",
  sizeBytes: number,
): ArtifactSummary {
  const compiled = compileArtifact(artifact);
  const activities = new Map<unknown, ActivitySummary>();
  const audiences = new Map<unknown, number>();
  const operators = new Set<string>();
  const visit = (kind: "mboxes" | "views", name: string, rule: ArtifactRule) => {
    const meta = rule.meta ?? {};
    const id = meta["activity.id"];
    let a = activities.get(id);
    if (!a) {
      a = {
        id,
        name: meta["activity.name"],
        type: meta["activity.type"],
        experiences: [],
        mboxes: [],
        views: [],
        audienceIds: [],
        rules: 0,
      };
      activities.set(id, a);
    }
    a.rules++;
    addUnique(a.experiences, { id: meta["experience.id"], name: meta["experience.name"] });
    addUnique(a[kind], name);
    for (const audience of Array.isArray(meta["audience.ids"]) ? meta["audience.ids"] : []) {
      addUnique(a.audienceIds, audience);
      audiences.set(audience, (audiences.get(audience) ?? 0) + 1);
    }
    for (const op of collectOperators(rule.condition)) operators.add(op);
  };
  let mboxRules = 0;
  let viewRules = 0;
  for (const [name, list] of Object.entries(artifact.rules.mboxes ?? {})) {
    for (const rule of list) visit("mboxes", name, rule);
    mboxRules += list.length;
  }
  for (const [name, list] of Object.entries(artifact.rules.views ?? {})) {
    for (const rule of list) visit("views", name, rule);
    viewRules += list.length;
  }
  return {
    source,
    format,
    sizeBytes,
    version: artifact.version,
    meta: { ...(artifact.meta ?? {}) },
    globalMbox: compiled.globalMbox,
    geoTargetingEnabled: compiled.geoTargetingEnabled,
    rules: { total: compiled.ruleCount, mbox: mboxRules, view: viewRules },
    mboxes: {
      names: [...compiled.mboxes.keys()],
      local: [...compiled.localMboxes],
      remote: [...compiled.remoteMboxes],
    },
    views: {
      names: [...compiled.views.keys()],
      local: [...compiled.localViews],
      remote: [...compiled.remoteViews],
    },
    activities: [...activities.values()],
    audiences: [...audiences.entries()].map(([id, rules]) => ({ id, rules })),
    responseTokens: [...compiled.responseTokens],
    operators: [...operators].sort(),
  };
}

function list(values: readonly unknown[], all: boolean): string {
  if (values.length === 0) return "-";
  const shown = all ? values : values.slice(0, LIST_LIMIT);
  const more = values.length - shown.length;
  return `${shown.map(String).join(", ")}${more > 0 ? `, … (${more} more; --all shows every one)` : ""}`;
}

export function renderSummary(s: ArtifactSummary, all: boolean): string {
  const meta = s.meta;
  const lines = [
    `artifact      ${s.source} (${formatBytes(s.sizeBytes)}, ${s.format})`,
    `version       ${s.version}`,
    `generated     ${String(meta.generatedAt ?? "-")}`,
    `client        ${String(meta.clientCode ?? "-")}    organization ${String(meta.organizationId ?? "-")}`,
    `environment   ${String(meta.environment ?? "-")}    workspace ${String(meta.workspace ?? "-")}`,
    `global mbox   ${s.globalMbox}    geo targeting ${s.geoTargetingEnabled ? "yes" : "no"}`,
    `rules         ${s.rules.total} (mbox ${s.rules.mbox}, view ${s.rules.view})`,
    `mboxes        ${s.mboxes.names.length} with rules: ${list(s.mboxes.names, all)}`,
    `  local       ${s.mboxes.local.length}: ${list(s.mboxes.local, all)}`,
    `  remote      ${s.mboxes.remote.length}: ${list(s.mboxes.remote, all)}`,
    `views         ${s.views.names.length} with rules: ${list(s.views.names, all)}`,
    `  local       ${s.views.local.length}: ${list(s.views.local, all)}`,
    `  remote      ${s.views.remote.length}: ${list(s.views.remote, all)}`,
    `audiences     ${s.audiences.length}: ${list(
      s.audiences.map((a) => a.id),
      all,
    )}`,
    `resp. tokens  ${s.responseTokens.length}: ${list(s.responseTokens, all)}`,
    `operators     ${s.operators.join(", ") || "-"}`,
    "",
    `activities    ${s.activities.length}`,
  ];
  const shown = all ? s.activities : s.activities.slice(0, LIST_LIMIT);
  for (const a of shown) {
    const where = [...a.mboxes.map((m) => `mbox:${m}`), ...a.views.map((v) => `view:${v}`)];
    lines.push(
      `  ${String(a.id)}  ${String(a.type ?? "?")}  ${JSON.stringify(a.name ?? "")}`,
      `      experiences ${a.experiences.map((e) => `${String(e.id)}=${JSON.stringify(e.name ?? "")}`).join(", ")}`,
      `      locations ${list(where, all)}    audiences ${list(a.audienceIds, all)}    rules ${a.rules}`,
    );
  }
  if (shown.length < s.activities.length)
    lines.push(`  … ${s.activities.length - shown.length} more activities (--all shows every one)`);
  return `${lines.join("\n")}\n`;
}

export const inspectCommand: Command = {
  name: "artifact inspect",
  summary:
    "Summarise an artifact: activities, experiences, mboxes, views, local/remote items, audiences, size.",
  args: "<FILE|URL|->",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    json: { type: "boolean", help: "print the summary as JSON" },
    all: { type: "boolean", help: `list every item (default: the first ${LIST_LIMIT} of each list)` },
    ...ARTIFACT_OPTIONS,
  },
  async run(args, io) {
    const location = args.positionals[0]!;
    const loaded = await loadArtifact(location, io, {
      org: str(args, "org") ?? envValue(io, "ODD_ORG_ID"),
      quiet: flag(args, "quiet"),
      progress: flag(args, "progress"),
    });
    loaded.progress.step("compiling and summarising");
    const summary = summarizeArtifact(loaded.artifact, displayName(location), loaded.format, loaded.size);
    const text = flag(args, "json") ? json(summary, true) : renderSummary(summary, flag(args, "all"));
    loaded.progress.done();
    await writeOutput(io, text, undefined);
    return EXIT_OK;
  },
};
