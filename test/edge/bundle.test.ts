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

  it("resolves the package's edge conditions to the edge build", async () => {
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default as any;
    const root = pkg.exports["."];
    for (const condition of EDGE_CONDITIONS) {
      expect(root[condition], condition).toBeDefined();
    }
    expect(pkg.exports["./edge"]).toBeDefined();
  });
});
