/**
 * Argument parsing for the CLI on node:util parseArgs (strict: unknown options are usage errors),
 * with per-command help generated from the same option table that drives the parser.
 */
import { parseArgs } from "node:util";
import { DecisioningError, toDecisioningError } from "../errors";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. FILE. */
  value?: string;
  help: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** e.g. "decide" or "artifact inspect". */
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. "<visitorId>". */
  args?: string;
  /** Paragraphs shown after the options. */
  details?: string;
  options: OptionTable;
  maxPositionals?: number;
  minPositionals?: number;
  /** Resolves to the exit code, or undefined when the command keeps the process running (serve). */
  run(args: ParsedArgs, io: CliIO): Promise<number | undefined>;
}

/** A mistake in how the CLI was called: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const HELP: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...command.options, help: HELP })) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(
      err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, "") : String(err),
    );
  }
  const result: ParsedArgs = {
    values: parsed.values as ParsedArgs["values"],
    positionals: parsed.positionals,
  };
  if (result.values.help) return result;
  const max = command.maxPositionals ?? 0;
  const min = command.minPositionals ?? 0;
  if (result.positionals.length > max) {
    throw new UsageError(`unexpected argument "${result.positionals[max]}"`);
  }
  if (result.positionals.length < min) throw new UsageError(`missing argument ${command.args ?? ""}`.trim());
  return result;
}

function optionLabel(name: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : "    ";
  const value = spec.type === "string" ? ` <${spec.value ?? "value"}>` : "";
  return `  ${short}--${name}${value}`;
}

export function commandHelp(command: Command): string {
  const lines = [
    `Usage: odd ${command.name}${command.args ? ` ${command.args}` : ""} [options]`,
    "",
    command.summary,
    "",
    "Options:",
  ];
  const entries = Object.entries({ ...command.options, help: HELP });
  const labels = entries.map(([name, spec]) => optionLabel(name, spec));
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  entries.forEach(([, spec], i) =>
    lines.push(`${labels[i]!.padEnd(width)}${spec.help}${spec.multiple ? " (repeatable)" : ""}`),
  );
  if (command.details) lines.push("", command.details.trim());
  return `${lines.join("\n")}\n`;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

export function strList(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return typeof v === "string" ? [v] : [];
}

/** An environment variable, empty counting as unset. */
export function envValue(io: CliIO, name: string): string | undefined {
  const v = io.env[name];
  return v === undefined || v === "" ? undefined : v;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** Writes a failure as `odd <command>: <CODE>: message` and returns its exit code. */
export function reportError(io: CliIO, commandName: string, err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr.write(`odd ${commandName}: ${err.message}\nRun "odd ${commandName} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  const error = DecisioningError.is(err) ? err : toDecisioningError(err);
  io.stderr.write(`odd ${commandName}: ${error.code}: ${error.message}\n`);
  return error.code === "ODE_ERR_INVALID_OPTION" ? EXIT_USAGE : EXIT_FAILURE;
}
