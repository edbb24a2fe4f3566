/** `odd artifact validate | encode | decode`. */
import { encodeRulesBin } from "../../artifact/rules-bin";
import { parseArtifactText, utf8Decode } from "../../artifact/parse";
import type { Artifact } from "../../artifact/schema";
import { compileArtifact } from "../../engine/compile";
import { compileCondition } from "../../engine/conditions";
import { DecisioningError, toDecisioningError } from "../../errors";
import { envValue, EXIT_FAILURE, EXIT_OK, flag, str, UsageError, type CliIO, type Command } from "../args";
import { decodeArtifactBytes, displayName, json, loadArtifact, readInput, writeOutput } from "../io";
import { ARTIFACT_OPTIONS } from "./common";

const MAX_REPORTED = 50;

/**
 * Every problem found in an artifact: the first structural error (validation stops there), else
 * each rule whose condition does not compile, else a compile failure of the whole artifact.
 */
export function findArtifactErrors(artifact: Artifact): DecisioningError[] {
  const errors: DecisioningError[] = [];
  for (const group of ["mboxes", "views"] as const) {
    for (const [name, rules] of Object.entries(artifact.rules[group] ?? {})) {
      rules.forEach((rule, i) => {
        try {
          compileCondition(rule.condition);
        } catch (err) {
          const e = toDecisioningError(err, "ODE_ERR_ARTIFACT_INVALID");
          errors.push(
            new DecisioningError(e.code, `rules.${group}["${name}"][${i}] (${rule.ruleKey}): ${e.message}`),
          );
        }
      });
    }
  }
  if (errors.length === 0) {
    try {
      compileArtifact(artifact);
    } catch (err) {
      errors.push(toDecisioningError(err, "ODE_ERR_ARTIFACT_INVALID"));
    }
  }
  return errors;
}

const validateCommand: Command = {
  name: "artifact validate",
  summary:
    "Check an artifact (rules.json or rules.bin): exit 0 when valid, else 1 with coded errors on stderr.",
  args: "<FILE|URL|->",
  minPositionals: 1,
  maxPositionals: 1,
  options: { json: { type: "boolean", help: "print the result as JSON on stdout" }, ...ARTIFACT_OPTIONS },
  details: `Checks: readable, decodable (rules.bin header and key), valid JSON, supported major version,
the structure the engine relies on, and that every rule condition compiles (operators known).`,
  async run(args, io) {
    const location = args.positionals[0]!;
    let errors: DecisioningError[];
    let artifact: Artifact | undefined;
    try {
      const loaded = await loadArtifact(location, io, {
        org: str(args, "org") ?? envValue(io, "ODD_ORG_ID"),
        quiet: flag(args, "quiet"),
        progress: flag(args, "progress"),
      });
      artifact = loaded.artifact;
      loaded.progress.step("compiling rule conditions");
      errors = findArtifactErrors(loaded.artifact);
      loaded.progress.done();
    } catch (err) {
      const e = toDecisioningError(err);
      if (e.code === "ODE_ERR_INVALID_OPTION") throw e;
      errors = [e];
    }
    const name = displayName(location);
    for (const e of errors.slice(0, MAX_REPORTED)) io.stderr.write(`${e.code}: ${e.message}\n`);
    if (errors.length > MAX_REPORTED) io.stderr.write(`… ${errors.length - MAX_REPORTED} more errors\n`);
    const valid = errors.length === 0;
    if (flag(args, "json")) {
      const result = {
        valid,
        source: name,
        ...(artifact ? { version: artifact.version } : {}),
        errors: errors.map((e) => ({ code: e.code, message: e.message })),
      };
      await writeOutput(io, json(result, true), undefined);
    } else if (valid && artifact) {
      const rules = Object.values(artifact.rules.mboxes ?? {}).concat(
        Object.values(artifact.rules.views ?? {}),
      );
      const count = rules.reduce((n, list) => n + list.length, 0);
      await writeOutput(io, `${name}: valid (version ${artifact.version}, ${count} rules)\n`, undefined);
    }
    return valid ? EXIT_OK : EXIT_FAILURE;
  },
};

function requireOrg(args: Parameters<Command["run"]>[0], io: CliIO): string {
  const org = str(args, "org") ?? envValue(io, "ODD_ORG_ID");
  if (!org)
    throw new UsageError(
      "--org (or ODD_ORG_ID) is required: the organization id is part of the rules.bin key",
    );
  return org;
}

const ORG_OPTION = {
  type: "string",
  value: "ORG",
  help: "IMS organization id (part of the key); required [ODD_ORG_ID]",
} as const;

const encodeCommand: Command = {
  name: "artifact encode",
  summary:
    "Encode a rules.json artifact as rules.bin (validated first; the JSON text is kept byte for byte).",
  args: "<FILE|URL|->",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    org: ORG_OPTION,
    out: {
      type: "string",
      short: "o",
      value: "FILE",
      help: "output file (default: stdout, refused on a terminal)",
    },
    key: { type: "string", value: "KEY", help: "the 32-character header key (default: random)" },
  },
  async run(args, io) {
    const org = requireOrg(args, io);
    const out = str(args, "out");
    if ((!out || out === "-") && io.stdout.isTTY)
      throw new UsageError("refusing to write binary data to a terminal; use --out FILE");
    const text = utf8Decode(await readInput(args.positionals[0]!, io));
    parseArtifactText(text);
    await writeOutput(io, encodeRulesBin(text, org, str(args, "key")), out);
    return EXIT_OK;
  },
};

const decodeCommand: Command = {
  name: "artifact decode",
  summary: "Decode a rules.bin artifact to JSON (validated).",
  args: "<FILE|URL|->",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    org: ORG_OPTION,
    out: { type: "string", short: "o", value: "FILE", help: "output file (default: stdout)" },
    pretty: { type: "boolean", short: "p", help: "indent the JSON (default: the decoded text as it is)" },
  },
  async run(args, io) {
    const org = requireOrg(args, io);
    const loaded = decodeArtifactBytes(await readInput(args.positionals[0]!, io), org);
    if (loaded.format !== "bin")
      throw new UsageError("the input is not a rules.bin artifact (no ATOD header)");
    const text = flag(args, "pretty") ? json(loaded.artifact, true) : loaded.text;
    await writeOutput(io, text, str(args, "out"));
    return EXIT_OK;
  },
};

export const artifactCommands: Command[] = [validateCommand, encodeCommand, decodeCommand];
