import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadArtifact } from "../support/shared";

/**
 * The published subpath `on-device-decisioning/engine` (the build of `npm test`'s pretest step):
 * resolvable from ESM and CJS through the exports map, with type declarations for both.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const request = {
  id: { tntId: "visitor-1" },
  property: { token: "be92ac4c-e72f-9f82-2a80-2c211ea86578" },
  execute: { mboxes: [{ name: "perf-mbox" }] },
};

describe("package subpath on-device-decisioning/engine", () => {
  it("decides from the ESM and the CJS build alike", async () => {
    const esm = await import(path.join(ROOT, "dist/esm/engine.js"));
    const cjs = createRequire(path.join(ROOT, "package.json"))("on-device-decisioning/engine");
    const results = [esm, cjs].map((entry) => {
      const compiled = entry.compile(loadArtifact("PRODUCTION_ARTIFACT"));
      return entry.decide(compiled, request, { client: "targettesting", now: 0, uuid: () => "0".repeat(32) });
    });
    expect(results[0].response).toEqual(results[1].response);
    expect(results[0].response.execute.mboxes[0].options[0].content).toMatchObject({ name: "perf-mbox" });
    expect(results[0].notifications).toHaveLength(1);
  });

  it("ships type declarations for both formats", () => {
    const exports = createRequire(import.meta.url)(path.join(ROOT, "package.json")).exports["./engine"];
    expect(existsSync(path.join(ROOT, exports.import.types))).toBe(true);
    expect(existsSync(path.join(ROOT, exports.require.types))).toBe(true);
  });
});
