/**
 * The layers of src/ and which layer may import which: an allowlist per folder, enforced by
 * eslint-plugin-boundaries (`boundaries/element-types`, default "disallow"). docs/architecture.md
 * explains the layers; test/architecture/boundaries.test.ts proves the rule bites.
 *
 * Shared kernel (importable from everywhere below the entry points): protocol (wire formats),
 * errors, logger, platform (ports + default adapters), primitives (backoff, deadlines, LRU, option
 * coercion). Pure cores (engine, offers core, publish compiler) may use only protocol, errors,
 * primitives and the artifact schema.
 */

/** Element types, matched against the file path; the first matching pattern wins. */
export const elements = [
  { type: "index", pattern: "src/index.ts", mode: "full" },
  { type: "errors", pattern: "src/errors.ts", mode: "full" },
  { type: "logger", pattern: "src/logger.ts", mode: "full" },
  { type: "artifact-schema", pattern: "src/artifact/schema.ts", mode: "full" },
  { type: "artifact-encoder", pattern: "src/artifact/rules-bin.ts", mode: "full" },
  { type: "protocol", pattern: "src/protocol/**", mode: "full" },
  { type: "primitives", pattern: "src/primitives/**", mode: "full" },
  { type: "platform", pattern: "src/platform/**", mode: "full" },
  { type: "engine", pattern: "src/engine/**", mode: "full" },
  { type: "artifact", pattern: "src/artifact/**", mode: "full" },
  { type: "remote", pattern: "src/remote/**", mode: "full" },
  { type: "client", pattern: "src/client/**", mode: "full" },
  { type: "testing", pattern: "src/testing/**", mode: "full" },
  { type: "storage", pattern: "src/storage/**", mode: "full" },
  { type: "repository", pattern: "src/repository/**", mode: "full" },
  { type: "offers-core", pattern: "src/offers/core/**", mode: "full" },
  { type: "offers", pattern: "src/offers/**", mode: "full" },
  { type: "publish-compiler", pattern: "src/publish/compiler/**", mode: "full" },
  { type: "publish", pattern: "src/publish/**", mode: "full" },
  { type: "admin", pattern: "src/admin/**", mode: "full" },
  // The one bearer-token hook: the HTTP plugins of the subsystems apply it to their write APIs.
  { type: "server-auth", pattern: "src/server/auth.ts", mode: "full" },
  { type: "server", pattern: "src/server/**", mode: "full" },
  { type: "edge", pattern: "src/edge/**", mode: "full" },
  { type: "cli", pattern: "src/cli/**", mode: "full" },
];

const KERNEL = ["protocol", "errors", "logger", "platform", "primitives"];
const PURE = ["protocol", "errors", "primitives", "artifact-schema"];
const SUBSYSTEMS = ["storage", "repository", "offers", "offers-core", "admin", "publish", "publish-compiler"];
/** What a subsystem with an HTTP API may use besides the kernel: its store and the shared auth hook. */
const HTTP_SUBSYSTEM = ["storage", "server-auth", ...KERNEL];

/** `from` may import `allow` (besides its own element type). */
export const allow = [
  { from: "errors", allow: [] },
  { from: "artifact-schema", allow: [] },
  { from: "protocol", allow: ["errors"] },
  { from: "logger", allow: ["errors"] },
  { from: "platform", allow: ["errors"] },
  { from: "primitives", allow: ["errors", "platform"] },
  { from: "engine", allow: PURE },
  { from: "artifact-encoder", allow: ["artifact", ...PURE] },
  { from: "artifact", allow: ["artifact-schema", "artifact-encoder", ...KERNEL] },
  { from: "remote", allow: KERNEL },
  { from: "client", allow: ["engine", "artifact", "artifact-schema", "artifact-encoder", "remote", ...KERNEL] },
  { from: "testing", allow: ["engine", "artifact", "artifact-schema", "artifact-encoder", ...PURE] },
  { from: "storage", allow: KERNEL },
  { from: "server-auth", allow: ["errors"] },
  { from: "repository", allow: HTTP_SUBSYSTEM },
  { from: "offers-core", allow: PURE },
  { from: "offers", allow: ["offers-core", ...HTTP_SUBSYSTEM] },
  { from: "publish-compiler", allow: ["artifact-encoder", ...PURE] },
  { from: "publish", allow: ["publish-compiler", "artifact-encoder", "artifact-schema", ...HTTP_SUBSYSTEM] },
  { from: "admin", allow: ["publish", "publish-compiler", ...HTTP_SUBSYSTEM] },
  { from: "server", allow: ["client", "server-auth", ...SUBSYSTEMS, ...KERNEL] },
  { from: "index", allow: ["client", "engine", "artifact", "artifact-schema", "artifact-encoder", ...KERNEL] },
  { from: "edge", allow: ["client", "engine", "artifact", "artifact-schema", "artifact-encoder", "index", ...KERNEL] },
  // The CLI is an entry point like src/index.ts: its tools (inspect, allocate, decide, serve) use every layer.
  { from: "cli", allow: ["*"] },
].map((rule) => ({ from: [rule.from], allow: [rule.from, ...rule.allow] }));

export const boundariesSettings = {
  "boundaries/elements": elements,
  "boundaries/include": ["src/**/*.ts"],
  "import/resolver": { node: { extensions: [".ts", ".js"] } },
};

export const boundariesRules = {
  "boundaries/element-types": ["error", { default: "disallow", rules: allow }],
  "boundaries/no-unknown-files": "error",
};
