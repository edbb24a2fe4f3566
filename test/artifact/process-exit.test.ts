/** A process using a polling manager on the real scheduler exits on its own (unref'd timers, close()). */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { anArtifact, json, startServer, type TestServer } from "./support";

const FIXTURE = fileURLToPath(new URL("../fixtures/artifact-exit.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** Runs the fixture; resolves with ms between the marker line and the process exit. */
function run(
  url: string,
  mode: string,
  marker: string,
): Promise<{ code: number | null; afterMarkerMs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, url, mode], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let markerAt: number | undefined;
    let stdout = "";
    let stderr = "";
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (markerAt === undefined && stdout.split("\n").includes(marker)) markerAt = Date.now();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(kill);
      if (markerAt === undefined)
        return reject(new Error(`no "${marker}" marker; stdout=${stdout} stderr=${stderr}`));
      resolve({ code, afterMarkerMs: Date.now() - markerAt, stderr });
    });
  });
}

describe("process lifetime", () => {
  it("exits within a second after close()", async () => {
    server = await startServer(json(anArtifact()));
    const r = await run(server.url(), "close", "closed");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.afterMarkerMs).toBeLessThan(1000);
  });

  it("exits within a second even without close(): the poll timer does not hold the process", async () => {
    server = await startServer(json(anArtifact()));
    const r = await run(server.url(), "noclose", "ready");
    expect(r.code).toBe(0);
    expect(r.afterMarkerMs).toBeLessThan(1000);
  });

  it("exits within a second after close() aborted an in-flight download", async () => {
    server = await startServer(() => {}); // never answers
    const r = await run(server.url(), "close-inflight", "closed");
    expect(r.code).toBe(0);
    expect(r.afterMarkerMs).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });
});
