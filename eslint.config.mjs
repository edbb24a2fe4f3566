import js from "@eslint/js";
import boundaries from "eslint-plugin-boundaries";
import tseslint from "typescript-eslint";
import { boundariesRules, boundariesSettings } from "./eslint.boundaries.mjs";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-new-func": "error",
      "no-eval": "error",
    },
  },
  {
    files: ["src/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["node:*", "undici", "../remote/*", "../artifact/poller*", "../platform/defaults*"] },
      ],
      "no-restricted-globals": ["error", "fetch", "setTimeout", "setInterval", "process"],
    },
  },
  {
    // Functions stay short enough to read at once. Data tables are exempt through an
    // `eslint-disable-next-line max-lines-per-function -- <reason>` on the table's function.
    files: ["src/**/*.ts"],
    rules: {
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // Dependency directions between the layers of src/ (see eslint.boundaries.mjs).
    files: ["src/**/*.ts"],
    plugins: { boundaries },
    settings: boundariesSettings,
    rules: boundariesRules,
  },
  {
    // The offer decisioning core is pure like the engine: no Node API, no timers, no I/O.
    files: ["src/offers/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "ioredis", "undici", "fastify"] }],
      "no-restricted-globals": ["error", "fetch", "setTimeout", "setInterval", "process", "Buffer"],
    },
  },
  {
    // The artifact compiler is pure: it runs in any JavaScript runtime (no Node APIs, no clock of its own).
    files: ["src/publish/compiler/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "undici", "../storage*", "../server/*"] }],
      "no-restricted-globals": ["error", "fetch", "setTimeout", "setInterval", "process", "Buffer"],
    },
  },
);
