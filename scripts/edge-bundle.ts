/**
 * Builds the edge entry the way a Workers / Vercel Edge / Deno Deploy / browser build does
 * (platform neutral or browser, the edge export conditions, everything bundled) and checks the
 * output: no `node:` or bare Node built-in import, no free reference to a Node-only global.
 *
 * How the global check works: esbuild's `define` replaces an identifier only where it is a free
 * (global) reference, never a local binding of the same name. Each Node-only global is defined to
 * a marker identifier; any marker left in the output is a real use of that global. `require` is
 * the exception (defining it would stop esbuild from bundling CommonJS dependencies): a require
 * esbuild could not bundle leaves its "Dynamic require" shim in the output, which is what we look for.
 *
 * Used by test/edge/bundle.test.ts (CI), by the runtime tests to build what they run, and from
 * the command line: `npm run check:edge` prints the size (min + gzip) and the findings.
 */
import { realpathSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The edge entry of this package (what `on-device-decisioning/edge` resolves to). */
export const EDGE_ENTRY = path.join(ROOT, "src/edge/index.ts");

/** Export conditions the edge platforms resolve with (see package.json "exports"). */
export const EDGE_CONDITIONS = ["workerd", "edge-light", "deno", "browser", "worker"] as const;

/** Globals that exist in Node but not in workerd, Deno (without its Node layer) or browsers. */
export const NODE_ONLY_GLOBALS = [
  "process",
  "Buffer",
  "require",
  "__dirname",
  "__filename",
  "global",
  "setImmediate",
  "clearImmediate",
] as const;

const MARKER = "__NODE_ONLY_GLOBAL__";

export interface EdgeBundleOptions {
  /** Entry file; default the edge entry. */
  entry?: string;
  /** "neutral" (Workers, Deno, edge functions) or "browser". Default "neutral". */
  platform?: "neutral" | "browser";
  minify?: boolean;
  /** Module specifiers mapped to files (e.g. "on-device-decisioning/edge" → the edge entry). */
  alias?: Record<string, string>;
  /** Leave these specifiers unresolved (imports the host runtime provides, e.g. "cloudflare:workers"). */
  external?: string[];
  /** Export conditions to resolve with; default all of {@link EDGE_CONDITIONS}. */
  conditions?: string[];
}

export interface EdgeBundle {
  code: string;
  /** Bytes of the (minified when asked) output. */
  bytes: number;
  gzipBytes: number;
  /** Imports of Node built-ins left in the output (`node:x` or a bare built-in name). */
  nodeImports: string[];
  /** Node-only globals the output references. */
  nodeGlobals: string[];
  /** Source files that made it into the bundle, relative to the repository. */
  inputs: string[];
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));

/**
 * Records (instead of failing on) every import of a Node built-in and keeps it external. A bare
 * built-in name ("events", "punycode/") counts only when no package of that name resolves.
 */
function nodeImportRecorder(found: Set<string>): Plugin {
  return {
    name: "record-node-imports",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === "probe") return undefined;
        const spec = args.path;
        if (spec.startsWith("node:")) {
          found.add(spec);
          return { path: spec, external: true };
        }
        if (!BUILTINS.has(spec.split("/")[0]!)) return undefined;
        const probe = await b.resolve(spec, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "probe" });
        if (probe.errors.length === 0) return undefined;
        found.add(spec);
        return { path: spec, external: true };
      });
    },
  };
}

export async function buildEdgeBundle(options: EdgeBundleOptions = {}): Promise<EdgeBundle> {
  const found = new Set<string>();
  const define: Record<string, string> = {};
  for (const name of NODE_ONLY_GLOBALS) {
    if (name === "require") continue;
    define[name] = `${MARKER}${name}`;
    define[`globalThis.${name}`] = `${MARKER}${name}`;
  }
  const result = await build({
    entryPoints: [options.entry ?? EDGE_ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: options.platform ?? "neutral",
    target: "es2022",
    conditions: options.conditions ?? [...EDGE_CONDITIONS],
    mainFields: ["browser", "module", "main"],
    minify: options.minify ?? true,
    treeShaking: true,
    legalComments: "none",
    metafile: true,
    logLevel: "silent",
    define,
    alias: options.alias ?? {},
    external: options.external ?? [],
    plugins: [nodeImportRecorder(found)],
  });
  const code = result.outputFiles[0]!.text;
  const nodeGlobals = NODE_ONLY_GLOBALS.filter((name) =>
    name === "require"
      ? code.includes("Dynamic require of")
      : new RegExp(`${MARKER}${name}(?![A-Za-z0-9_$])`).test(code),
  );
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(ROOT, realpathSync(path.resolve(p))));
  const bytes = Buffer.byteLength(code);
  return {
    code,
    bytes,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    nodeImports: [...found].sort(),
    nodeGlobals,
    inputs,
  };
}

/** Builds the edge bundle for the runtimes' own use: no markers (globals stay as written). */
export async function buildRunnableBundle(options: EdgeBundleOptions & { entry: string }): Promise<string> {
  const result = await build({
    entryPoints: [options.entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: options.platform ?? "neutral",
    target: "es2022",
    conditions: [...EDGE_CONDITIONS],
    mainFields: ["browser", "module", "main"],
    minify: options.minify ?? false,
    logLevel: "silent",
    alias: { "on-device-decisioning/edge": EDGE_ENTRY, ...(options.alias ?? {}) },
    external: options.external ?? [],
  });
  return result.outputFiles[0]!.text;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  let failed = false;
  for (const platform of ["neutral", "browser"] as const) {
    const b = await buildEdgeBundle({ platform });
    console.log(`edge entry (${platform}): ${kb(b.bytes)} minified, ${kb(b.gzipBytes)} min+gzip`);
    if (b.nodeImports.length > 0) console.log(`  Node built-in imports: ${b.nodeImports.join(", ")}`);
    if (b.nodeGlobals.length > 0) console.log(`  Node-only globals: ${b.nodeGlobals.join(", ")}`);
    failed ||= b.nodeImports.length > 0 || b.nodeGlobals.length > 0;
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
