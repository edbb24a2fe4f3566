import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Locates ../shared (read-only project data): $ODD_SHARED_DIR, ../shared next to the repo, or /work/shared. */
export function sharedDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.ODD_SHARED_DIR,
    path.resolve(here, "../../../shared"),
    path.resolve(process.cwd(), "../shared"),
    "/work/shared",
  ].filter((p): p is string => typeof p === "string");
  for (const candidate of candidates) if (existsSync(path.join(candidate, "conformance"))) return candidate;
  throw new Error(`shared data not found; tried ${candidates.join(", ")}`);
}

export const conformanceDir = () => path.join(sharedDir(), "conformance");

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

export function loadArtifact(name: string): any {
  return readJson(path.join(conformanceDir(), "artifacts", name.endsWith(".json") ? name : `${name}.json`));
}

export function artifactNames(): string[] {
  return readdirSync(path.join(conformanceDir(), "artifacts"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
}

export function suiteFiles(): string[] {
  const dir = path.join(conformanceDir(), "suites");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}
