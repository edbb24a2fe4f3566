import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
    // The offer decisioning core is pure like the engine; only src/offers/adapters does I/O.
    files: ["src/offers/**/*.ts"],
    ignores: ["src/offers/adapters/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["node:*", "ioredis", "undici", "fastify", "../adapters/*", "./adapters/*"] },
      ],
      "no-restricted-globals": ["error", "fetch", "setTimeout", "setInterval", "process", "Buffer"],
    },
  },
);
