/**
 * Notifications are never lost by the running service (issue 14) and shutdown does not lose the
 * ones waiting for a retry (issue 10 item 1): the real `odd serve` process, real HTTP on 127.0.0.1,
 * an upstream stand-in that fails or goes away, and real signals.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { json, startStub, type Hit, type StubServer } from "../remote/stub-server";
import { postDelivery, SAMPLE_ARTIFACT, startServiceProcess, type ServiceProcess } from "./support";

let service: ServiceProcess | undefined;
let stub: StubServer | undefined;
const dirs: string[] = [];

afterEach(async () => {
  if (service && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill("SIGKILL");
    await service.exited;
  }
  service = undefined;
  await stub?.close();
  stub = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const HERO = (tntId: string) => ({ id: { tntId }, execute: { mboxes: [{ name: "hero", index: 1 }] } });

/** The stand-in's behaviour for notification requests; other Delivery calls always get 200. */
type Mode = "up" | "503" | "down";

async function upstream(initial: Mode): Promise<{ stub: StubServer; set(mode: Mode): void }> {
  let mode = initial;
  const s = await startStub((hit, res) => {
    if (!Array.isArray(hit.json?.notifications)) return json(res, 200, { status: 200 });
    if (mode === "503") return json(res, 503, { status: 503, message: "try later" });
    if (mode === "down") return void res.socket?.destroy(); // the connection dies without an answer
    json(res, 200, { status: 200 });
  });
  return { stub: s, set: (m) => (mode = m) };
}

/** Display notifications delivered (answered 200 by the stand-in), by tntId. */
function delivered(s: StubServer, answered: Set<number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const hit of s.hits) {
    if (!answered.has(hit.index) || !Array.isArray(hit.json?.notifications)) continue;
    const tntId = String(hit.json.id?.tntId);
    for (const n of hit.json.notifications as { type?: string }[]) {
      if (n.type === "display") out.set(tntId, (out.get(tntId) ?? 0) + 1);
    }
  }
  return out;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Records which hits were answered 200 (the stub's handler decides; we track by mode at the time). */
function tracking(up: { stub: StubServer; set(mode: Mode): void }) {
  const answered = new Set<number>();
  let mode: Mode = "up";
  const set = (m: Mode) => {
    mode = m;
    up.set(m);
  };
  const original = up.stub.hits.push.bind(up.stub.hits);
  up.stub.hits.push = (...hits: Hit[]) => {
    for (const h of hits) if (mode === "up") answered.add(h.index);
    return original(...hits);
  };
  return { answered, set };
}

function env(extra: Record<string, string>): Record<string, string> {
  return {
    ODD_ARTIFACT: SAMPLE_ARTIFACT,
    ODD_DECISIONING_METHOD: "on-device",
    ODD_NOTIFICATION_FLUSH_INTERVAL: "0",
    ODD_WORKERS: "1",
    ...extra,
  };
}

describe("notifications are never lost by the service", () => {
  it("SIGTERM while a notification waits for its retry: delivered once the upstream recovers, exit 0", async () => {
    const up = await upstream("503");
    stub = up.stub;
    const t = tracking(up);
    t.set("503");
    service = await startServiceProcess(env({ ODD_UPSTREAM: stub.origin, ODD_SHUTDOWN_TIMEOUT: "10000" }));
    const res = await postDelivery(service.url, HERO("retry-visitor"));
    expect(res.status).toBe(200);
    await until(() => stub!.hits.some((h) => Array.isArray(h.json?.notifications)), 5000, "the first send");
    service.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    t.set("up");
    const { code } = await service.exited;
    expect(delivered(stub, t.answered).get("retry-visitor")).toBe(1);
    expect(code).toBe(0);
    const stopped = service.logs.find((l) => l.msg === "stopped");
    expect(stopped).toMatchObject({ notificationsLost: 0 });
  });

  it("SIGTERM with the upstream down past the shutdown timeout: counted, logged with the number, exit code 3", async () => {
    const up = await upstream("503");
    stub = up.stub;
    service = await startServiceProcess(env({ ODD_UPSTREAM: stub.origin, ODD_SHUTDOWN_TIMEOUT: "1500" }));
    for (let i = 0; i < 3; i++) expect((await postDelivery(service.url, HERO(`lost-${i}`))).status).toBe(200);
    await until(() => stub!.hits.some((h) => Array.isArray(h.json?.notifications)), 5000, "the first send");
    const started = Date.now();
    service.child.kill("SIGTERM");
    const { code } = await service.exited;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).toBe(3);
    expect(service.logs.find((l) => l.msg === "stopped")).toMatchObject({ notificationsLost: 3 });
  });

  it("SIGTERM with the upstream down and a spool: spooled, exit 0, and delivered by the next start", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "odd-spool-"));
    dirs.push(dir);
    const spool = path.join(dir, "notifications.spool");
    const up = await upstream("down");
    stub = up.stub;
    const t = tracking(up);
    t.set("down");
    service = await startServiceProcess(
      env({ ODD_UPSTREAM: stub.origin, ODD_SHUTDOWN_TIMEOUT: "1500", ODD_NOTIFICATION_SPOOL: spool }),
    );
    for (let i = 0; i < 3; i++)
      expect((await postDelivery(service.url, HERO(`spooled-${i}`))).status).toBe(200);
    service.child.kill("SIGTERM");
    const first = await service.exited;
    expect(first.code).toBe(0);
    expect(service.logs.find((l) => l.msg === "stopped")).toMatchObject({
      notificationsSpooled: 3,
      notificationsLost: 0,
    });

    t.set("up");
    service = await startServiceProcess(env({ ODD_UPSTREAM: stub.origin, ODD_NOTIFICATION_SPOOL: spool }));
    await until(() => delivered(stub!, t.answered).size === 3, 10_000, "the spooled notifications");
    for (let i = 0; i < 3; i++) expect(delivered(stub, t.answered).get(`spooled-${i}`)).toBe(1);
  });

  it(
    "the upstream away for a while: every request answered, every notification delivered once when it returns",
    { timeout: 60_000 },
    async () => {
      const up = await upstream("up");
      stub = up.stub;
      const t = tracking(up);
      service = await startServiceProcess(env({ ODD_UPSTREAM: stub.origin }));
      const visitors = Array.from({ length: 300 }, (_, i) => `outage-${i}`);
      const statuses: number[] = [];
      for (const [i, v] of visitors.entries()) {
        if (i === 50) t.set("down");
        if (i === 250) t.set("up");
        statuses.push((await postDelivery(service.url, HERO(v))).status);
        if (i >= 50 && i < 250 && i % 50 === 0) await new Promise((r) => setTimeout(r, 1000)); // ~4 s away
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      await until(() => delivered(stub!, t.answered).size === visitors.length, 30_000, "every notification");
      const counts = delivered(stub, t.answered);
      for (const v of visitors) expect(counts.get(v), v).toBe(1);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/odd_notifications_total\{outcome="dropped"\} 0/);
    },
  );
});
