/**
 * `npm run bench:micro` (or `npm run bench -- --micro`): every bench/micro/*.bench.ts case, one
 * table, JSON in bench/results/micro.json; then the condition compiler vs json-logic-js comparison
 * (conditions.bench.ts prints its own table).
 *   --quick          150 ms per case
 *   --filter <text>  only cases whose name contains <text>
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { machine, machineLine, updateDocsSection } from "../lib/report";
import { cases as allocation } from "./allocation.bench";
import { cases as compile } from "./compile.bench";
import { cases as context } from "./context.bench";
import { cases as decide } from "./decide.bench";
import { cases as floor } from "./floor.bench";
import { formatMicroTable, runCase, type MicroResult } from "./micro";
import { cases as notificationBody } from "./notification-body.bench";
import { cases as rule } from "./rule.bench";
import { cases as url } from "./url.bench";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const filterAt = argv.indexOf("--filter");
const filter = filterAt >= 0 ? argv[filterAt + 1] : undefined;

const all = [
  ...floor,
  ...notificationBody,
  ...allocation,
  ...url,
  ...context,
  ...rule,
  ...decide,
  ...compile,
];
const selected = filter ? all.filter((c) => c.name.includes(filter)) : all;
const results: MicroResult[] = [];
for (const c of selected) {
  const r = runCase(c, quick);
  results.push(r);
  console.error(`${r.name}: ${r.nsPerOp.toFixed(1)} ns/op`);
}
console.log(`\nMachine: ${machineLine(machine())}\n`);
console.log(formatMicroTable(results));
if (!filter) {
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  const file = path.join(ROOT, "bench", "results", quick ? "micro-quick.json" : "micro.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), quick, results }, null, 2)}\n`,
  );
  console.error(`wrote ${path.relative(ROOT, file)}`);
  if (!quick && !argv.includes("--no-docs")) {
    const docPath = path.join(ROOT, "docs", "performance.md");
    const section = `Command: \`npm run bench:micro\` — ${new Date().toISOString()}\nMachine: ${machineLine(machine())}; 1-min load average ${os.loadavg()[0]!.toFixed(2)} at the end\n\n${formatMicroTable(results)}`;
    try {
      if (
        await updateDocsSection(docPath, section, "<!-- bench:micro:start -->", "<!-- bench:micro:end -->")
      ) {
        console.error("updated docs/performance.md");
      }
    } catch {
      console.error("docs/performance.md not found; not updated");
    }
  }
  if (!quick) {
    console.log("\nCompiled conditions vs json-logic-js (bench/micro/conditions.bench.ts):\n");
    await import("./conditions.bench");
  }
}
