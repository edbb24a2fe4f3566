/**
 * The build check of the edge entry: bundled as a Workers / Deno / browser build bundles it, it
 * imports no Node built-in, references no Node-only global, pulls in neither undici nor the file
 * system code, and stays small. `npm run check:edge` prints the same figures.
 */
import { describe, expect, it } from "vitest";
import { buildEdgeBundle, EDGE_CONDITIONS } from "../../scripts/edge-bundle";

/** min+gzip budget of the edge entry; raise it deliberately, with the reason in docs/edge.md. */
const GZIP_BUDGET = 110 * 1024;

describe("edge entry bundle", () => {
  for (const platform of ["neutral", "browser"] as const) {
    it(`bundles for platform ${platform} without Node built-ins or Node-only globals`, async () => {
      const b = await buildEdgeBundle({ platform });
      console.log(`edge bundle (${platform}): ${b.bytes} B minified, ${b.gzipBytes} B min+gzip`);
      expect(b.nodeImports).toEqual([]);
      expect(b.nodeGlobals).toEqual([]);
      const deps = b.inputs.filter((i) => i.includes("node_modules/undici") || i.includes("node_modules/fastify"));
      expect(deps).toEqual([]);
      expect(b.inputs.some((i) => i.endsWith("platform/defaults.ts") || i.endsWith("platform/node.ts"))).toBe(false);
      expect(b.gzipBytes).toBeLessThan(GZIP_BUDGET);
    });
  }

  it("the check itself catches a Node import and a Node-only global", async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "edge-check-"));
    try {
      const entry = join(dir, "bad.ts");
      writeFileSync(
        entry,
        'import { readFileSync } from "node:fs";\nexport const a = () => readFileSync(__dirname + "/x");\nexport const b = () => process.env.X;\nexport const c = (s: string) => Buffer.from(s);\nconst process2 = 1; export const d = process2;\n',
      );
      const b = await buildEdgeBundle({ entry });
      expect(b.nodeImports).toEqual(["node:fs"]);
      expect(b.nodeGlobals.sort()).toEqual(["Buffer", "__dirname", "process"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the package's export conditions select the built edge entry (npm run build first)", async () => {
    const { mkdirSync, symlinkSync, writeFileSync, mkdtempSync, rmSync, existsSync } = await import("node:fs");
    const { join, resolve } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const root = resolve(import.meta.dirname, "../..");
    expect(existsSync(join(root, "dist/edge/index.js")), "dist/edge/index.js (npm run build)").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "edge-exports-"));
    try {
      // A consumer project with this package installed, importing it by name.
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(root, join(dir, "node_modules/on-device-decisioning"), "dir");
      const entry = join(dir, "app.js");
      writeFileSync(entry, 'import { TargetClient } from "on-device-decisioning";\nexport const create = TargetClient.create;\n');
      const explicit = join(dir, "explicit.js");
      writeFileSync(explicit, 'export { TargetClient } from "on-device-decisioning/edge";\n');
      for (const condition of EDGE_CONDITIONS) {
        const b = await buildEdgeBundle({ entry, conditions: [condition] });
        expect(b.inputs.some((i) => i.endsWith("dist/edge/index.js")), condition).toBe(true);
        expect(b.nodeImports, condition).toEqual([]);
        expect(b.nodeGlobals, condition).toEqual([]);
      }
      const b = await buildEdgeBundle({ entry: explicit, conditions: [] });
      expect(b.inputs.some((i) => i.endsWith("dist/edge/index.js"))).toBe(true);
      expect(b.nodeImports).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
