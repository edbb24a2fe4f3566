import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The vendored conformance data (test/fixtures/conformance; provenance in its README.md). Tests and
 * benchmarks read only from inside the repository. `ODD_CONFORMANCE_SUITES_DIR` may name a second
 * folder of suite files, run in addition to the vendored ones.
 */
export const EXTRA_SUITES_ENV = "ODD_CONFORMANCE_SUITES_DIR";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/conformance");

export const conformanceDir = (): string => FIXTURES;

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

function extraSuitesDir(): string | undefined {
  const dir = process.env[EXTRA_SUITES_ENV];
  return dir && dir.trim() !== "" ? path.resolve(dir) : undefined;
}

/** Folders searched for an artifact by name: beside the extra suites first, then the vendored ones. */
function artifactDirs(): string[] {
  const extra = extraSuitesDir();
  const dirs = extra ? [extra, path.join(extra, "artifacts"), path.resolve(extra, "../artifacts")] : [];
  return [...dirs, path.join(FIXTURES, "artifacts")];
}

export function loadArtifact(name: string): any {
  const file = name.endsWith(".json") ? name : `${name}.json`;
  const dirs = artifactDirs();
  for (const dir of dirs) {
    const candidate = path.join(dir, file);
    if (existsSync(candidate)) return readJson(candidate);
  }
  throw new Error(`artifact ${file} not found in ${dirs.join(", ")}`);
}

/** The vendored artifacts' names (the differential tests run over each). */
export function artifactNames(): string[] {
  return readdirSync(path.join(FIXTURES, "artifacts"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
}

function suitesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Every suite file of the vendored folder, then every one of the extra folder (when set). */
export function suiteFiles(): string[] {
  const extra = extraSuitesDir();
  return [...suitesIn(path.join(FIXTURES, "suites")), ...(extra ? suitesIn(extra) : [])];
}
