/**
 * `odd allocate`: which experience of each activity a visitor falls in. For every activity, the
 * visitor's allocation (0–99.99, the same hash the engine uses) and, at each location (mbox or
 * view) the activity serves, the first of its rules whose condition holds for that visitor with an
 * otherwise empty request context.
 */
import { compileArtifact, type CompiledArtifact, type CompiledRule } from "../../engine/compile";
import { computeAllocation, visitorIdForAllocation } from "../../engine/allocation";
import { isTruthy } from "../../engine/conditions";
import { createBaseContext, createRuleContext, type BaseContext } from "../../engine/context";
import { prepareDecisionRequest } from "../../engine/decide";
import type { DeliveryRequest, VisitorId } from "../../protocol/delivery";
import { randomId } from "../../platform/ids";
import { envValue, EXIT_OK, flag, str, strList, UsageError, type Command } from "../args";
import { json, loadArtifact, writeOutput } from "../io";
import { parseNow } from "./decide";
import { ARTIFACT_OPTIONS, ARTIFACT_SOURCE_OPTION, artifactIdentity } from "./common";

const ID_TYPES = ["tntId", "marketingCloudVisitorId", "thirdPartyId"] as const;
type IdType = (typeof ID_TYPES)[number];

export const LIMITATIONS = [
  "Conditions are evaluated with an otherwise empty request: no page URL, referrer, mbox parameters, user agent (browser and platform are unknown), geo or profile. Audiences that need any of these do not match here although the visitor may qualify for them in a real request.",
  "Time-based conditions use --now (default: the current time).",
  "Rules limited to property tokens apply only when --property matches.",
  "Per location, decided=true marks the rule the engine would serve there; for a regular mbox that is the first matching rule of any activity, so a match with decided=false is shadowed by an earlier activity.",
];

export interface LocationMatch {
  location: string;
  ruleKey: string | null;
  experience: { id: unknown; name: unknown } | null;
  audienceIds: unknown[];
  decided: boolean;
}

export interface ActivityAllocation {
  activityId: unknown;
  name: unknown;
  type: unknown;
  allocation: number;
  /** The experience of the first location that matched, or null. */
  experience: { id: unknown; name: unknown } | null;
  locations: LocationMatch[];
}

export interface AllocateInput {
  compiled: CompiledArtifact;
  client: string;
  id: VisitorId;
  mboxes: string[];
  views: string[];
  propertyToken?: string;
  now: number;
}

function evaluate(rule: CompiledRule, ctx: Record<string, unknown>, allocation: number): boolean {
  ctx.allocation = allocation;
  try {
    return isTruthy(rule.condition(ctx));
  } catch {
    return false;
  }
}

/** The allocation report (pure; exported for tests). */
export function allocateVisitor(input: AllocateInput): {
  allocationId: string;
  activities: ActivityAllocation[];
} {
  const { compiled, client } = input;
  const request: DeliveryRequest = {
    id: input.id,
    context: { channel: "web" },
    ...(input.propertyToken ? { property: { token: input.propertyToken } } : {}),
  };
  const validated = prepareDecisionRequest(request, undefined, randomId);
  const allocationId = visitorIdForAllocation(validated.id, randomId);
  const base: BaseContext = createBaseContext(validated, input.now);
  const activities = new Map<unknown, ActivityAllocation>();
  const allocationOf = (activityId: unknown) => computeAllocation(client, activityId, allocationId);

  const locations: [string, readonly CompiledRule[], boolean][] = [];
  const wantAll = input.mboxes.length === 0 && input.views.length === 0;
  for (const [name, rules] of compiled.mboxes) {
    if (wantAll || input.mboxes.includes(name))
      locations.push([`mbox:${name}`, rules, name !== compiled.globalMbox]);
  }
  for (const [name, rules] of compiled.views) {
    if (wantAll || input.views.includes(name)) locations.push([`view:${name}`, rules, false]);
  }

  for (const [location, rules, firstMatchWins] of locations) {
    const ctx = createRuleContext(base, { parameters: {} }) as unknown as Record<string, unknown>;
    const matchedHere = new Set<unknown>();
    let decidedTaken = false;
    for (const rule of rules) {
      const meta = rule.rule.meta ?? {};
      let entry = activities.get(rule.activityId);
      if (!entry) {
        entry = {
          activityId: rule.activityId,
          name: meta["activity.name"],
          type: meta["activity.type"],
          allocation: allocationOf(rule.activityId),
          experience: null,
          locations: [],
        };
        activities.set(rule.activityId, entry);
      }
      if (matchedHere.has(rule.activityId)) continue;
      const tokens = rule.propertyTokens;
      const allowed =
        tokens === undefined || (input.propertyToken !== undefined && tokens.has(input.propertyToken));
      if (!allowed || !evaluate(rule, ctx, entry.allocation)) continue;
      matchedHere.add(rule.activityId);
      const experience = { id: meta["experience.id"], name: meta["experience.name"] };
      entry.locations.push({
        location,
        ruleKey: rule.ruleKey,
        experience,
        audienceIds: [...rule.audienceIds],
        decided: firstMatchWins ? !decidedTaken : true,
      });
      decidedTaken = true;
      entry.experience ??= experience;
    }
    for (const entry of activities.values()) {
      const serves = rules.some((r) => r.activityId === entry.activityId);
      if (serves && !matchedHere.has(entry.activityId)) {
        entry.locations.push({ location, ruleKey: null, experience: null, audienceIds: [], decided: false });
      }
    }
  }
  return { allocationId, activities: [...activities.values()] };
}

export const allocateCommand: Command = {
  name: "allocate",
  summary: "Show which experience of each activity a visitor falls in (allocation value and matching rule).",
  args: "<visitorId>",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    artifact: ARTIFACT_SOURCE_OPTION,
    mbox: { type: "string", short: "m", multiple: true, value: "NAME", help: "only this mbox" },
    view: { type: "string", multiple: true, value: "NAME", help: "only this view" },
    "id-type": {
      type: "string",
      value: "TYPE",
      help: `what the visitor id is: ${ID_TYPES.join(" | ")} (default tntId)`,
    },
    client: {
      type: "string",
      value: "CODE",
      help: "client code (default: artifact meta.clientCode, ODD_CLIENT)",
    },
    property: { type: "string", value: "TOKEN", help: "at.js property token (rules limited to properties)" },
    now: { type: "string", value: "MS|ISO", help: "evaluation time (default: now)" },
    pretty: { type: "boolean", short: "p", help: "indent the JSON output" },
    ...ARTIFACT_OPTIONS,
  },
  details: `
The allocation is Target's: murmur3 of "<client>.<activityId>.<visitorId>.0", 0-99.99. A tntId is cut
at its first "." (as the engine does). Limitations:
${LIMITATIONS.map((l) => `  - ${l}`).join("\n")}`,
  async run(args, io) {
    const location = str(args, "artifact");
    if (!location) throw new UsageError("--artifact is required");
    const idType = (str(args, "id-type") ?? "tntId") as IdType;
    if (!ID_TYPES.includes(idType)) throw new UsageError(`--id-type must be one of ${ID_TYPES.join(", ")}`);
    const visitorId = args.positionals[0]!;
    if (visitorId.trim() === "") throw new UsageError("the visitor id is empty");
    const now = parseNow(str(args, "now")) ?? Date.now();
    const loaded = await loadArtifact(location, io, {
      org: str(args, "org") ?? envValue(io, "ODD_ORG_ID"),
      quiet: flag(args, "quiet"),
      progress: flag(args, "progress"),
    });
    const { client } = artifactIdentity(
      loaded.artifact,
      str(args, "client") ?? envValue(io, "ODD_CLIENT"),
      undefined,
    );
    loaded.progress.step("compiling");
    const compiled = compileArtifact(loaded.artifact);
    const mboxes = strList(args, "mbox");
    const views = strList(args, "view");
    for (const m of mboxes)
      if (!compiled.mboxes.has(m)) throw new UsageError(`the artifact has no rules for mbox "${m}"`);
    for (const v of views)
      if (!compiled.views.has(v)) throw new UsageError(`the artifact has no rules for view "${v}"`);
    loaded.progress.step("evaluating");
    const property = str(args, "property");
    const report = allocateVisitor({
      compiled,
      client,
      id: { [idType]: visitorId },
      mboxes,
      views,
      now,
      ...(property ? { propertyToken: property } : {}),
    });
    loaded.progress.done();
    const output = {
      client,
      visitorId,
      idType,
      allocationId: report.allocationId,
      activities: report.activities,
      limitations: LIMITATIONS,
    };
    await writeOutput(io, json(output, flag(args, "pretty")), undefined);
    return EXIT_OK;
  },
};
