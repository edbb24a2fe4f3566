/** `odd repo export | import`: the repository as JSON lines, for backups and moving between stores. */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { openRepository, resolveRepositoryConfig } from "../../repository";
import { exportLines, importLines } from "../../repository/transfer";
import { EXIT_OK, str, type CliIO, type Command, type OptionTable, type ParsedArgs } from "../args";

const STORE_OPTIONS: OptionTable = {
  store: { type: "string", value: "URL", help: "sqlite:<file> or postgres://… [ODD_STORE] (default sqlite:<data-dir>/odd.db)" },
  "data-dir": { type: "string", value: "DIR", help: "directory of the embedded store [ODD_DATA_DIR] (default ./.odd)" },
  schema: { type: "string", multiple: true, value: "FILE", help: "extra JSON Schema registered by the service (needed for its list memberships)" },
};

async function open(args: ParsedArgs, io: CliIO) {
  const config = resolveRepositoryConfig(args.values, io.env);
  return openRepository({ store: config.store, schemas: config.schemas });
}

async function writeTo(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

const exportCommand: Command = {
  name: "repo export",
  summary: "Write every container and instance of the repository as JSON lines (stdout or --output).",
  options: { ...STORE_OPTIONS, output: { type: "string", short: "o", value: "FILE", help: "write to FILE instead of stdout" } },
  details: "One record per line, containers first; ids, etags and dates are kept. See docs/repository.md.",
  async run(args, io) {
    const repository = await open(args, io);
    const file = str(args, "output");
    const out = file ? createWriteStream(file) : io.stdout;
    try {
      const count = await exportLines(repository, (line) => writeTo(out as Writable, line));
      if (file) {
        (out as Writable).end();
        await once(out as Writable, "finish");
      }
      io.stderr.write(`odd repo export: ${count} records\n`);
      return EXIT_OK;
    } finally {
      await repository.store.close();
    }
  },
};

const importCommand: Command = {
  name: "repo import",
  summary: "Load JSON lines written by `odd repo export` (stdin or --input) into the store, upserting by id.",
  options: { ...STORE_OPTIONS, input: { type: "string", short: "i", value: "FILE", help: "read FILE instead of stdin" } },
  details: "Runs in transactions of 500 records; progress goes to stderr. See docs/repository.md.",
  async run(args, io) {
    const repository = await open(args, io);
    const file = str(args, "input");
    try {
      const input = file ? createReadStream(file) : (io.stdin as NodeJS.ReadableStream & import("node:stream").Readable);
      const count = await importLines(repository, input, (n) => io.stderr.write(`odd repo import: ${n} records\r`));
      io.stderr.write(`odd repo import: ${count} records imported\n`);
      return EXIT_OK;
    } finally {
      await repository.store.close();
    }
  },
};

export const repoCommands: readonly Command[] = [exportCommand, importCommand];
