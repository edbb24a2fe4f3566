/**
 * The `odd` command line: dispatches to the commands, prints help, maps failures to exit codes
 * (0 success, 1 failure with a coded error on stderr, 2 usage error).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { findPackageRoot } from "../server/config";
import {
  commandHelp,
  EXIT_OK,
  EXIT_USAGE,
  parseCommandArgs,
  reportError,
  type CliIO,
  type Command,
} from "./args";
import { allocateCommand } from "./commands/allocate";
import { artifactCommands } from "./commands/artifact";
import { buildCommand } from "./commands/artifact-build";
import { decideCommand } from "./commands/decide";
import { inspectCommand } from "./commands/inspect";
import { repoCommands } from "./commands/repo";
import { pqlEvalCommand } from "./commands/pql";
import { serveCommand } from "./commands/serve";

export const COMMANDS: readonly Command[] = [
  serveCommand,
  decideCommand,
  allocateCommand,
  inspectCommand,
  ...artifactCommands,
  ...repoCommands,
  pqlEvalCommand,
  buildCommand,
];

function version(): string {
  const root = findPackageRoot();
  if (!root) return "unknown";
  try {
    return String(
      (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version,
    );
  } catch {
    return "unknown";
  }
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "Usage: odd <command> [options]",
    "",
    "On-device decisioning for Adobe Target artifacts: a Delivery API service and artifact tools.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    'Run "odd <command> --help" for the options of a command.',
    "",
  ].join("\n");
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const [first, second] = argv;
  if (second !== undefined) {
    const command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (command) return { command, rest: argv.slice(2) };
  }
  const command = COMMANDS.find((c) => c.name === first);
  return command ? { command, rest: argv.slice(1) } : undefined;
}

/** Runs the CLI; resolves to the exit code, or undefined when a command keeps running (serve). */
export async function main(argv: string[], io: CliIO): Promise<number | undefined> {
  const [first] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.stdout.write(mainHelp());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "--version" || first === "-v") {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) =>
      c.name.slice(first.length + 1),
    );
    if (group.length > 0) {
      io.stderr.write(`odd ${first}: expected one of ${group.join(", ")}\n`);
    } else {
      io.stderr.write(`odd: unknown command "${first}"\n`);
    }
    io.stderr.write('Run "odd --help" for the list of commands.\n');
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (err) {
    return reportError(io, command.name, err);
  }
}
