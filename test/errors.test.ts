import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { DecisioningError, ERROR_CODES, toDecisioningError } from "../src/errors";

const root = path.resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

describe("error catalogue", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const codes = Object.keys(ERROR_CODES);

  it("documents every code in the README", () => {
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });

  it("documents no code that does not exist", () => {
    const mentioned = new Set(readme.match(/ODE_ERR_[A-Z_]+/g) ?? []);
    for (const code of mentioned) expect(codes, code).toContain(code);
  });

  it("uses only catalogued codes in the sources", () => {
    for (const file of sourceFiles(path.join(root, "src"))) {
      for (const code of readFileSync(file, "utf8").match(/ODE_ERR_[A-Z_]+/g) ?? []) {
        expect(codes, `${code} in ${file}`).toContain(code);
      }
    }
  });

  it("keeps code, status, cause and instanceof", () => {
    const cause = new Error("boom");
    const err = new DecisioningError("ODE_ERR_HTTP_STATUS", "bad", { status: 503, cause, recoverable: true });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(DecisioningError);
    expect(DecisioningError.is(err)).toBe(true);
    expect(err.code).toBe("ODE_ERR_HTTP_STATUS");
    expect(err.status).toBe(503);
    expect(err.cause).toBe(cause);
    expect(toDecisioningError(cause).code).toBe("ODE_ERR_INTERNAL");
    expect(toDecisioningError(err)).toBe(err);
  });
});
