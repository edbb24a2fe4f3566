/** `odd pql eval` as a process: output, exit codes, compile errors with position. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../server/support";

const tmp = mkdtempSync(path.join(tmpdir(), "odd-pql-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, value: unknown): string {
  const f = path.join(tmp, name);
  writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
  return f;
}

const profile = file("profile.json", {
  identityMap: { Email: [{ id: "a@b.c", primary: true }] },
  person: { age: 30 },
  segmentMembership: { ups: { gold: { status: "existing" } } },
  xEvent: [{ type: "flight", timestamp: "2024-06-01T00:00:00Z" }],
});
const events = file("events.json", [
  { type: "flight", timestamp: "2024-06-01T00:00:00Z" },
  { type: "flight", timestamp: "2024-05-01T00:00:00Z" },
  { type: "flight", timestamp: "2020-01-01T00:00:00Z" },
]);
const context = file("context.json", [
  { "@type": "https://ns.example.com/s", "xdm:data": { "xdm:channel": "kiosk" } },
]);

describe.concurrent("odd pql eval", { timeout: 60_000 }, () => {
  it("prints true or false and exits 0", async () => {
    const yes = await runCli(["pql", "eval", 'person.age >= 18 and inSegment("gold")', "--profile", profile]);
    expect(yes).toMatchObject({ code: 0, stdout: "true\n" });
    const no = await runCli(["pql", "eval", "person.age > 40", "--profile", profile]);
    expect(no).toMatchObject({ code: 0, stdout: "false\n" });
    const empty = await runCli(["pql", "eval", "person.age.isNull()"]);
    expect(empty).toMatchObject({ code: 0, stdout: "true\n" });
  });

  it("uses --events, the profile's xEvent by default, --context and --now", async () => {
    const rule =
      '(select e from xEvent where e.type = "flight" and e.timestamp occurs <= 6 months before now).count()';
    const fromEvents = await runCli([
      "pql",
      "eval",
      `${rule} = 2`,
      "--events",
      events,
      "--now",
      "2024-06-15T12:00:00Z",
    ]);
    expect(fromEvents.stdout).toBe("true\n");
    const fromProfile = await runCli([
      "pql",
      "eval",
      `${rule} = 1`,
      "--profile",
      profile,
      "--now",
      "2024-06-15T12:00:00Z",
    ]);
    expect(fromProfile.stdout).toBe("true\n");
    const later = await runCli([
      "pql",
      "eval",
      `${rule} = 0`,
      "--events",
      events,
      "--now",
      "2030-01-01T00:00:00Z",
    ]);
    expect(later.stdout).toBe("true\n");
    const ctx = await runCli([
      "pql",
      "eval",
      '@{https://ns.example.com/s}.channel = "kiosk"',
      "--context",
      context,
    ]);
    expect(ctx.stdout).toBe("true\n");
  });

  it("reports a compile error with line and column on stderr and exits 2", async () => {
    const res = await runCli(["pql", "eval", "person.age >\n  and true"]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/ODE_ERR_PQL_SYNTAX: .* at line 2, column 3/);
  });

  it("says unsupported for constructs outside the subset", async () => {
    const res = await runCli(["pql", "eval", "xEvent.distinct().count() > 1"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unsupported");
    expect(res.stderr).toMatch(/line 1, column \d+/);
  });

  it("exits non-zero with a message for unreadable or invalid inputs", async () => {
    const missing = await runCli(["pql", "eval", "true", "--profile", path.join(tmp, "nope.json")]);
    expect(missing.code).toBe(1);
    const notArray = await runCli(["pql", "eval", "true", "--events", profile]);
    expect(notArray.code).toBe(2);
    expect(notArray.stderr).toContain("--events");
    const badNow = await runCli(["pql", "eval", "true", "--now", "yesterday-ish"]);
    expect(badNow.code).toBe(2);
    const noExpr = await runCli(["pql", "eval"]);
    expect(noExpr.code).toBe(2);
  });
});
