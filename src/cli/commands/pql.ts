/**
 * `odd pql eval`: compiles one PQL expression (the eligibility-rule language of offer decisioning)
 * and evaluates it against a profile, its experience events and request context data. Prints
 * `true` or `false` (exit 0); a compile error goes to stderr with its line and column (exit 2).
 */
import { DecisioningError } from "../../errors";
import { isObject } from "../../offers/core/catalog";
import { compilePql, type CompiledPql } from "../../offers/core/pql";
import { EXIT_OK, EXIT_USAGE, str, UsageError, type CliIO, type Command } from "../args";
import { parseJsonInput, readInput } from "../io";
import { parseNow } from "./decide";

const COMPILE_ERRORS = new Set<string>(["ODE_ERR_PQL_SYNTAX", "ODE_ERR_PQL_UNSUPPORTED", "ODE_ERR_PQL_LIMIT"]);

async function readJsonOption(io: CliIO, location: string | undefined, what: string): Promise<unknown> {
  return location === undefined ? undefined : parseJsonInput(await readInput(location, io), what);
}

function compileOrReport(expression: string, io: CliIO): CompiledPql | number {
  try {
    return compilePql(expression);
  } catch (err) {
    if (!DecisioningError.is(err) || !COMPILE_ERRORS.has(err.code)) throw err;
    io.stderr.write(`odd pql eval: ${err.code}: ${err.message}\n`);
    return EXIT_USAGE;
  }
}

export const pqlEvalCommand: Command = {
  name: "pql eval",
  summary: "Evaluate a PQL eligibility expression against a profile, its events and context data.",
  args: "<expression>",
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    profile: { type: "string", value: "FILE|-", help: "the XDM profile, a JSON object (default: empty)" },
    events: {
      type: "string",
      value: "FILE|-",
      help: "the profile's experience events (xEvent), a JSON array (default: the profile's xEvent)",
    },
    context: {
      type: "string",
      value: "FILE|-",
      help: 'the request\'s xdm:contextData, a JSON array of {"@type", "xdm:data"} (for @{schemaId})',
    },
    now: { type: "string", value: "ISO|MS", help: "evaluation time (default: now)" },
  },
  details: `
Prints true or false and exits 0. A compile error (with its line and column) goes to stderr and
the exit code is 2; constructs outside the supported subset are reported as "unsupported".

Examples:
  odd pql eval 'person.age >= 18 and inSegment("gold")' --profile profile.json
  odd pql eval '(select e from xEvent where e.type = "flight" and e.timestamp occurs <= 6 months before now).count() > 3' \\
      --events events.json --now 2024-06-15T12:00:00Z
`,
  async run(args, io) {
    const compiled = compileOrReport(args.positionals[0]!, io);
    if (typeof compiled === "number") return compiled;
    const now = parseNow(str(args, "now")) ?? Date.now();
    const profile = (await readJsonOption(io, str(args, "profile"), "--profile")) ?? {};
    if (!isObject(profile)) throw new UsageError("--profile must hold a JSON object");
    const events = (await readJsonOption(io, str(args, "events"), "--events")) ?? profile["xEvent"] ?? [];
    if (!Array.isArray(events)) throw new UsageError("--events must hold a JSON array");
    const context = (await readJsonOption(io, str(args, "context"), "--context")) ?? [];
    if (!Array.isArray(context)) throw new UsageError("--context must hold a JSON array");
    io.stdout.write(`${compiled.evaluate({ profile, events, context, now })}\n`);
    return EXIT_OK;
  },
};
