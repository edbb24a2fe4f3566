import path from "node:path";
import { expect } from "vitest";
import type { ConformanceCase, ConformanceOutcome } from "../edge/fixtures/conformance-runner";
import { loadArtifact, readJson, suiteFiles } from "./shared";

/** One case of the conformance suites, with what the runner needs and what it must produce. */
export interface NamedCase {
  name: string;
  input: ConformanceCase;
  output: unknown;
  notificationOutput: unknown;
}

/** Every case of every suite file (artifact names resolved to the artifact objects). */
export function conformanceCases(): NamedCase[] {
  const cases: NamedCase[] = [];
  for (const file of suiteFiles()) {
    const suite = readJson(file);
    for (const [name, test] of Object.entries<any>(suite.test)) {
      const artifact = test.artifact ?? suite.artifact;
      cases.push({
        name: `${path.basename(file, ".json")}/${name}`,
        input: {
          artifact: typeof artifact === "string" ? loadArtifact(artifact) : artifact,
          conf: test.conf ?? suite.conf ?? {},
          input: test.input,
          ...(test.mockDate ? { mockDate: test.mockDate } : {}),
          ...(test.mockGeo ? { mockGeo: test.mockGeo } : {}),
        },
        output: test.output,
        notificationOutput: test.notificationOutput,
      });
    }
  }
  return cases;
}

const PLACEHOLDERS: Record<string, unknown> = {
  "expect.any(Object)": expect.any(Object),
  "expect.any(String)": expect.any(String),
  "expect.any(Number)": expect.any(Number),
};

/** The suites' "expect.any(...)" strings as vitest asymmetric matchers. */
export function hydrateExpected(value: unknown): unknown {
  if (typeof value === "string" && value in PLACEHOLDERS) return PLACEHOLDERS[value];
  if (Array.isArray(value)) return value.map(hydrateExpected);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hydrateExpected(v)]));
  }
  return value;
}

/** Asserts an outcome against the suite's expectations (the rules of test/contract/conformance.test.ts). */
export function expectConformance(c: NamedCase, outcome: ConformanceOutcome): void {
  expect(outcome.response).toMatchObject(hydrateExpected(c.output ?? {}) as object);
  if (c.notificationOutput === null) {
    expect(outcome.notifications).toHaveLength(0);
  } else if (c.notificationOutput !== undefined) {
    expect(outcome.notifications).toHaveLength(1);
    expect({ request: outcome.notifications[0] }).toMatchObject(hydrateExpected(c.notificationOutput) as object);
  }
}

const RANDOM_ID = /^[0-9a-f]{32}(\.\d+_\d+)?$/;
const SDID = /^[0-9A-F]{16}-[0-9A-F]{16}$/;
/** Values that legitimately differ between two runs: clocks and measured durations. */
const VOLATILE_KEYS = new Set(["timestamp", "execution", "parsing", "artifactLastRetrieved"]);

/**
 * An outcome with what is random per run (generated ids, SDIDs) and what is measured (durations,
 * wall-clock times without a mocked date) replaced by placeholders, so two runtimes' outcomes can be
 * compared with toEqual.
 */
export function normalizeOutcome(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (RANDOM_ID.test(value)) return "<id>";
    if (SDID.test(value)) return "<sdid>";
    if (VOLATILE_KEYS.has(key)) return "<volatile>";
    return value;
  }
  if (typeof value === "number" && VOLATILE_KEYS.has(key)) return "<volatile>";
  if (Array.isArray(value)) return value.map((v) => normalizeOutcome(v, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeOutcome(v, k)]));
  }
  return value;
}
