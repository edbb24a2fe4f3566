import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { assertSafeBinding, isLoopbackHost, resolveAuthConfig, tokenMatches } from "../../src/server/auth";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/odd.js");

describe("bearer-token auth", () => {
  it("matches only the exact token", () => {
    expect(tokenMatches("secret-token", "secret-token")).toBe(true);
    for (const wrong of [undefined, "", "secret-toke", "secret-token ", "SECRET-TOKEN"]) expect(tokenMatches(wrong, "secret-token")).toBe(false);
  });

  it("reads --api-token over ODD_API_TOKEN and refuses a malformed token", () => {
    expect(resolveAuthConfig({ "api-token": "flag-token-1" }, { ODD_API_TOKEN: "env-token-1" }).apiToken).toBe("flag-token-1");
    expect(resolveAuthConfig({}, { ODD_API_TOKEN: "env-token-1" }).apiToken).toBe("env-token-1");
    expect(resolveAuthConfig({}, {})).toEqual({ apiToken: undefined, insecureNoAuth: false });
    expect(() => resolveAuthConfig({ "api-token": "short" }, {})).toThrow(/api-token/);
  });

  it("refuses a non-loopback bind without a token unless --insecure-no-auth", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com"]) expect(isLoopbackHost(host)).toBe(false);
    expect(() => assertSafeBinding("0.0.0.0", undefined, false)).toThrow(/--api-token/);
    expect(() => assertSafeBinding("0.0.0.0", "a-token-123", false)).not.toThrow();
    expect(() => assertSafeBinding("0.0.0.0", undefined, true)).not.toThrow();
  });

  it("odd serve --host 0.0.0.0 without a token exits with a coded error", async () => {
    const failure = await run(process.execPath, [BIN, "serve", "--host", "0.0.0.0", "--port", "0", "--store", "sqlite::memory:"], { env: { ...process.env, ODD_API_TOKEN: "" } }).catch((e) => e);
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/ODE_ERR_INVALID_OPTION/);
  });
});
