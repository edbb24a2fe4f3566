/**
 * Issue 10 item 1 (library side): close(), flush() and ready({timeout}) always settle, even when the
 * only thing pending is a retry timer (unref'd, so it does not keep a process alive) or a failing
 * first download. Each case runs the public API in its own process (test/client/scripts/lifecycle.ts)
 * against a real Delivery API stand-in: an unsettled promise there ends the process with exit code
 * 13 instead of printing its step.
 *
 * Also issue 10 item 9: sendNotifications() rejects with a coded error for notifications the queue
 * dropped, instead of resolving as if they had been sent.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { json, startStub, type StubServer } from "../remote/stub-server";

const SCRIPT = path.join(import.meta.dirname, "scripts", "lifecycle.ts");

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

interface Run {
  code: number | null;
  steps: Record<string, any>[];
  output: string;
}

/** Lets a running script go on (it waits for a line on stdin after its decision). */
let resume: (() => void) | undefined;

function runScript(mode: string, standIn: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, mode, standIn], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    resume = () => child.stdin.end("go\n");
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const steps = output
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, any>);
      resolve({ code, steps, output });
    });
  });
}

const notificationRequests = (s: StubServer) => s.hits.filter((h) => Array.isArray(h.json?.notifications));

/**
 * Answers the first `failures` notification requests with 503 (then lets the script go on), every
 * later one with 200; other calls with 200.
 */
async function failingStub(failures: number): Promise<StubServer> {
  let failed = 0;
  return startStub((hit, res) => {
    if (!Array.isArray(hit.json?.notifications)) return json(res, 200, { status: 200 });
    if (failed < failures) {
      json(res, 503, { status: 503, message: "try later" });
      if (++failed === 1) resume?.();
      return;
    }
    json(res, 200, { status: 200 });
  });
}

describe("close(), flush() and ready({timeout}) settle on their own (issue 10)", () => {
  it("close() waits for a notification's pending retry and delivers it once the upstream recovers", async () => {
    stub = await failingStub(1);
    const run = await runScript("close", stub.hostPort);
    expect(
      run.steps.map((s) => s.step),
      run.output,
    ).toEqual(["decided", "settling", "closed"]);
    expect(run.code).toBe(0);
    const sent = notificationRequests(stub);
    expect(sent).toHaveLength(2); // the 503, then the retry
    expect(sent[1]!.json.notifications).toEqual(sent[0]!.json.notifications);
    expect(run.steps.at(-1)!.notifications).toMatchObject({
      sentNotifications: 1,
      failedNotifications: 0,
      dropped: 0,
    });
  });

  it("flush() settles while a retry is pending, and the notification is delivered", async () => {
    stub = await failingStub(1);
    const run = await runScript("flush", stub.hostPort);
    expect(
      run.steps.map((s) => s.step),
      run.output,
    ).toEqual(["decided", "settling", "flushed", "closed"]);
    expect(run.code).toBe(0);
    expect(run.steps.at(-1)!.notifications).toMatchObject({ sentNotifications: 1, queued: 0, inFlight: 0 });
  });

  it("close() settles when the upstream never recovers, with the notification counted as failed", async () => {
    stub = await failingStub(Infinity);
    const run = await runScript("close", stub.hostPort);
    expect(
      run.steps.map((s) => s.step),
      run.output,
    ).toEqual(["decided", "settling", "closed"]);
    expect(run.code).toBe(0);
    expect(run.steps.at(-1)!.notifications).toMatchObject({ sentNotifications: 0, failedNotifications: 1 });
  });

  it("ready({timeout}) rejects with a coded error when the first artifact download fails", async () => {
    stub = await startStub((_hit, res) => json(res, 500, { message: "artifact store down" }));
    const run = await runScript("ready", stub.hostPort);
    expect(
      run.steps.map((s) => s.step),
      run.output,
    ).toEqual(["rejected", "closed"]);
    expect(run.code).toBe(0);
    expect(["ODE_ERR_READY_TIMEOUT", "ODE_ERR_ARTIFACT_UNAVAILABLE"]).toContain(run.steps[0]!.code);
  });
});

describe("sendNotifications() and the queue's capacity (issue 10)", () => {
  it("rejects with ODE_ERR_NOTIFICATION_DROPPED for the notifications the full queue dropped", async () => {
    stub = await startStub((_hit, res) => json(res, 200, { status: 200 }));
    const client = TargetClient.create({
      client: "demo",
      organizationId: "DEMO0000000000000000000@AdobeOrg",
      decisioningMethod: "server-side",
      serverDomain: stub.hostPort,
      secure: false,
      notificationMaxQueued: 2,
      logger: { debug() {}, error() {} },
    });
    try {
      await client.ready();
      const notifications = Array.from({ length: 5 }, (_, i) => ({
        id: `n-${i}`,
        type: "display",
        timestamp: Date.now(),
        mbox: { name: "hero" },
        tokens: [`token-${i}`],
      }));
      const error = await client
        .sendNotifications({ request: { id: { tntId: "v-dropped" }, notifications } as never })
        .then(
          () => undefined,
          (err: unknown) => err as { code?: string; details?: Record<string, unknown> },
        );
      expect(error?.code).toBe("ODE_ERR_NOTIFICATION_DROPPED");
      expect(error?.details).toMatchObject({ dropped: 3 });
      expect(client.status().notifications.dropped).toBe(3);
    } finally {
      await client.close();
    }
  });
});
