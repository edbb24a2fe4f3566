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

export default defineConfig([
  { ...common, format: ["esm"], outDir: "dist/esm", clean: true },
  { ...common, format: ["cjs"], outDir: "dist/cjs", clean: true, outExtension: () => ({ js: ".cjs" }) },
]);
