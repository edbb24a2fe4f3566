import { defineConfig, type Options } from "tsup";

/** Library entries, built twice: ESM (dist/esm, .js + .d.ts) and CJS (dist/cjs, .cjs + .d.cts). */
const entry = {
  index: "src/index.ts",
  testing: "src/testing/index.ts",
  // The engine alone (compile + synchronous decide), for embedded and edge use.
  engine: "src/engine/index.ts",
  // The service and the `odd` CLI (bin/odd.js runs dist/esm/cli.js).
  server: "src/server/index.ts",
  cli: "src/cli/index.ts",
};

const common: Options = {
  entry,
  dts: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
  splitting: false,
};

/**
 * The edge entry (docs/edge.md), for Workers, Deno, edge functions and browsers: ESM on web APIs
 * only. dist/edge keeps the dependencies as imports (for bundlers and Deno's npm support);
 * dist/browser is one self-contained minified module for a page (`<script type="module">`).
 */
const EDGE_CONDITIONS = ["workerd", "edge-light", "deno", "browser", "worker"];
const edge: Options = {
  entry: { index: "src/edge/index.ts" },
  format: ["esm"],
  platform: "neutral",
  target: "es2022",
  splitting: false,
  sourcemap: true,
  esbuildOptions(options) {
    options.conditions = EDGE_CONDITIONS;
    options.mainFields = ["browser", "module", "main"];
  },
};

export default defineConfig([
  // ESM is split into shared chunks: `odd --help` does not load the server and its drivers.
  { ...common, format: ["esm"], outDir: "dist/esm", clean: true, splitting: true },
  // shims: import.meta.url (thread-fetch resolves undici for its worker) from __filename in CJS.
  {
    ...common,
    format: ["cjs"],
    outDir: "dist/cjs",
    clean: true,
    shims: true,
    outExtension: () => ({ js: ".cjs" }),
  },
  { ...edge, dts: true, outDir: "dist/edge", clean: true },
  {
    ...edge,
    entry: { "on-device-decisioning.edge": "src/edge/index.ts" },
    outDir: "dist/browser",
    clean: true,
    minify: true,
    noExternal: [/.*/],
  },
]);
