/** The `odd` CLI as a process: every command, its exit codes and outputs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { conformanceDir } from "../support/shared";
import { cliInvocation, runCli, SAMPLE_ARTIFACT } from "../server/support";

const tmp = mkdtempSync(path.join(tmpdir(), "odd-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sampleText = readFileSync(SAMPLE_ARTIFACT, "utf8");
const sample = JSON.parse(sampleText);
const ORG = sample.meta.organizationId as string;
const PRODUCTION = path.join(conformanceDir(), "artifacts", "PRODUCTION_ARTIFACT.json");
const UNSUPPORTED = path.join(conformanceDir(), "artifacts", "TEST_ARTIFACT_UNSUPPORTED.json");
const HERO = JSON.stringify({
  id: { tntId: "cli-visitor" },
  execute: { mboxes: [{ name: "hero", index: 1 }] },
});

function tmpFile(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

describe.concurrent(`odd CLI (${cliInvocation().kind})`, { timeout: 60_000 }, () => {
  it.each([
    ["serve"],
    ["decide"],
    ["allocate"],
    ["artifact", "inspect"],
    ["artifact", "validate"],
    ["artifact", "encode"],
    ["artifact", "decode"],
  ])("prints help for %s %s", async (...command) => {
    const res = await runCli([...command.filter(Boolean), "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Usage: odd ${command.filter(Boolean).join(" ")}`));
    expect(res.stdout).toContain("--help");
  });

  it("lists the commands, and exits 2 on no command, an unknown command or option", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const name of [
      "serve",
      "decide",
      "allocate",
      "artifact inspect",
      "artifact validate",
      "artifact encode",
      "artifact decode",
    ]) {
      expect(help.stdout).toContain(name);
    }
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const option = await runCli(["decide", "--frob"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--frob");
  });

  it("decide: reads the request from stdin and prints the Delivery response", async () => {
    const res = await runCli(["decide", "-a", SAMPLE_ARTIFACT], { input: HERO });
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body).toMatchObject({ status: 200, client: "demo", id: { tntId: "cli-visitor" } });
    expect(body.execute.mboxes[0].options[0].content).toHaveProperty("headline");
  });

  it("decide --full: shows meta and the display notifications, reproducibly with --now", async () => {
    const file = tmpFile("request.json", HERO);
    const args = [
      "decide",
      "-a",
      SAMPLE_ARTIFACT,
      "-r",
      file,
      "--full",
      "--now",
      "2030-01-01T00:00:00Z",
      "--session-id",
      "s1",
    ];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code).toBe(0);
    const out = JSON.parse(a.stdout);
    expect(out.meta).toMatchObject({ decisioningMethod: "on-device", remoteMboxes: [] });
    expect(out.notifications).toEqual([
      expect.objectContaining({
        type: "display",
        mbox: { name: "hero" },
        timestamp: Date.parse("2030-01-01T00:00:00Z"),
      }),
    ]);
    const strip = (o: any) => ({ ...o.response, requestId: undefined });
    expect(strip(JSON.parse(b.stdout))).toEqual(strip(out));
  });

  it("decide: rejects an invalid request (exit 1) and bad usage (exit 2)", async () => {
    const bad = await runCli(["decide", "-a", SAMPLE_ARTIFACT], { input: "{not json" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^odd decide: ODE_ERR_INVALID_REQUEST: /);
    expect((await runCli(["decide"], { input: HERO })).code).toBe(2);
    expect((await runCli(["decide", "-a", "-"], { input: HERO })).code).toBe(2);
    expect(
      (await runCli(["decide", "-a", SAMPLE_ARTIFACT, "--now", "yesterday"], { input: HERO })).code,
    ).toBe(2);
  });

  it("allocate: reports each activity's allocation, experience and rule", async () => {
    const res = await runCli(["allocate", "-a", SAMPLE_ARTIFACT, "visitor-42.28_0"]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ client: "demo", visitorId: "visitor-42.28_0", allocationId: "visitor-42" });
    const hero = out.activities.find((a: any) => a.activityId === 100001);
    expect(hero.allocation).toBeGreaterThanOrEqual(0);
    expect(hero.allocation).toBeLessThan(100);
    expect(hero.locations[0]).toMatchObject({
      location: "mbox:hero",
      decided: true,
      ruleKey: expect.any(String),
    });
    expect(out.limitations.length).toBeGreaterThan(0);

    const only = JSON.parse(
      (await runCli(["allocate", "-a", SAMPLE_ARTIFACT, "v", "--mbox", "pricing"])).stdout,
    );
    expect(only.activities.map((a: any) => a.activityId)).toEqual([100002]);
    const missing = await runCli(["allocate", "-a", SAMPLE_ARTIFACT, "v", "--mbox", "nope"]);
    expect(missing.code).toBe(2);
    expect((await runCli(["allocate", "-a", SAMPLE_ARTIFACT])).code).toBe(2);
  });

  it("artifact inspect: summarises activities, locations and remote items", async () => {
    const res = await runCli(["artifact", "inspect", SAMPLE_ARTIFACT]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("version       1.0.0");
    expect(res.stdout).toMatch(/remote +1: server-side-only/);
    expect(res.stdout).toContain("mbox:hero");
    expect(res.stderr).toBe(""); // small input: no progress
    const summary = JSON.parse((await runCli(["artifact", "inspect", SAMPLE_ARTIFACT, "--json"])).stdout);
    expect(summary.mboxes.remote).toEqual(["server-side-only"]);
    expect(summary.views.names).toEqual(["home", "product"]);
    expect(summary.activities.length).toBeGreaterThan(5);
    expect(summary.sizeBytes).toBe(Buffer.byteLength(sampleText));
  });

  it("artifact inspect: shows progress on stderr for the 750 KB production artifact, unless --quiet", async () => {
    const res = await runCli(["artifact", "inspect", PRODUCTION]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/odd: reading PRODUCTION_ARTIFACT\.json \(7\d\d\.\d KB\)/);
    expect(res.stderr).toMatch(/odd: done in \d+ ms/);
    expect(res.stdout).toContain("activities");
    expect((await runCli(["artifact", "inspect", PRODUCTION, "-q"])).stderr).toBe("");
  });

  it("artifact validate: exit 0 for a valid artifact, 1 with coded errors otherwise", async () => {
    const ok = await runCli(["artifact", "validate", SAMPLE_ARTIFACT]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("valid (version 1.0.0");

    const unsupported = await runCli(["artifact", "validate", UNSUPPORTED]);
    expect(unsupported.code).toBe(1);
    expect(unsupported.stderr).toMatch(/^ODE_ERR_ARTIFACT_VERSION_UNSUPPORTED: /);

    const badOps = structuredClone(sample);
    badOps.rules.mboxes.hero[0].condition = { regex_match: [{ var: "page.url" }, "x"] };
    badOps.rules.mboxes.pricing[1].condition = { frobnicate: [] };
    const res = await runCli(["artifact", "validate", tmpFile("ops.json", JSON.stringify(badOps)), "--json"]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR: rules\.mboxes\["hero"\]\[0\]/),
      expect.stringMatching(/^ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR: rules\.mboxes\["pricing"\]\[1\]/),
    ]);
    expect(JSON.parse(res.stdout)).toMatchObject({
      valid: false,
      errors: [{ code: "ODE_ERR_ARTIFACT_UNKNOWN_OPERATOR" }, {}],
    });

    const notJson = await runCli(["artifact", "validate", tmpFile("bad.json", "{")]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^ODE_ERR_ARTIFACT_PARSE: /);
    const missing = await runCli(["artifact", "validate", path.join(tmp, "missing.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ODE_ERR_ARTIFACT_UNAVAILABLE: .*ENOENT/);
  });

  it("artifact encode/decode: round-trips the JSON text byte for byte through rules.bin", async () => {
    const bin = path.join(tmp, "rules.bin");
    const enc = await runCli(["artifact", "encode", SAMPLE_ARTIFACT, "--org", ORG, "-o", bin]);
    expect(enc.code).toBe(0);
    expect(readFileSync(bin).subarray(0, 8).toString()).toBe("ATOD:001");
    const dec = await runCli(["artifact", "decode", bin, "--org", ORG]);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe(sampleText);
    // The other commands read rules.bin too, with the organization from the environment.
    const valid = await runCli(["artifact", "validate", bin], { env: { ODD_ORG_ID: ORG } });
    expect(valid.code).toBe(0);
    const decided = await runCli(["decide", "-a", bin, "--org", ORG], { input: HERO });
    expect(JSON.parse(decided.stdout).client).toBe("demo");
  });

  it("artifact encode/decode: need the organization; a wrong one fails to decode", async () => {
    const encoded = await runCli(["artifact", "encode", "-", "--org", ORG], { input: sampleText });
    expect(encoded.code).toBe(0);
    const bin = tmpFile("stdin.bin", encoded.stdoutBytes);
    expect((await runCli(["artifact", "decode", bin])).code).toBe(2);
    expect((await runCli(["artifact", "encode", SAMPLE_ARTIFACT])).code).toBe(2);
    const wrong = await runCli(["artifact", "decode", bin, "--org", "OTHER@AdobeOrg"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ODE_ERR_ARTIFACT_PARSE/);
    const notBin = await runCli(["artifact", "decode", SAMPLE_ARTIFACT, "--org", ORG]);
    expect(notBin.code).toBe(2);
    const invalid = await runCli(["artifact", "encode", UNSUPPORTED, "--org", ORG]);
    expect(invalid.code).toBe(1);
  });
});
