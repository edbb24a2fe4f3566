/**
 * `npm start` must stop cleanly when the signal reaches npm: npm forwards SIGTERM to its child,
 * which is the server itself only because the start script `exec`s it (otherwise the child is a
 * shell that does not pass the signal on, and the server outlives npm holding its port).
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { spawnLogging, waitForReady } from "./support";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("npm start", () => {
  it("serves the bundled sample and exits cleanly when npm receives SIGTERM", async () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const proc = spawnLogging(npm, ["start", "--silent"], { PORT: "0", LOG_LEVEL: "info", ODD_ARTIFACT: "" });
    let serverPid = 0;
    try {
      const listening = await proc.waitForLog("listening", 25_000);
      serverPid = Number(listening.pid);
      const port = Number(listening.port);
      expect(serverPid).not.toBe(proc.child.pid);
      await waitForReady(String(listening.url));
      const res = await fetch(`${listening.url}/rest/v1/delivery`, {
        method: "POST",
        body: JSON.stringify({ execute: { mboxes: [{ name: "hero", index: 1 }] } }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();

      proc.child.kill("SIGTERM");
      const { code } = await proc.exited;
      expect(code).toBe(0);
      // The server process is gone and its port is free.
      for (let i = 0; i < 50 && isAlive(serverPid); i++) await new Promise((r) => setTimeout(r, 20));
      expect(isAlive(serverPid)).toBe(false);
      expect(await canBind(port)).toBe(true);
      expect(proc.logs.some((l) => l.msg === "stopped" && l.pid === serverPid)).toBe(true);
    } finally {
      if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
      if (serverPid > 0 && isAlive(serverPid)) process.kill(serverPid, "SIGKILL");
    }
  }, 40_000);
});
