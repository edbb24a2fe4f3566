#!/usr/bin/env node
// The `odd` command: runs the built CLI (dist/esm/cli.js, produced by `npm run build`).
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";

const entry = new URL("../dist/esm/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("odd: dist/esm/cli.js is missing; run `npm run build` first\n");
  process.exit(1);
}
await import(entry.href);
