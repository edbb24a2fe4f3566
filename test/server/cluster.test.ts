/**
 * `odd serve --workers 2`: two processes share the port, `/metrics` from either covers both, and
 * SIGTERM stops every worker gracefully (each sends its queued notifications) with exit code 0.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  SAMPLE_ARTIFACT,
  startServiceProcess,
  startUpstream,
  stopStarted,
  type ServiceProcess,
  type UpstreamStandIn,
} from "./support";

let service: ServiceProcess | undefined;
let upstream: UpstreamStandIn | undefined;

afterEach(async () => {
  await stopStarted(service, upstream);
  service = undefined;
  upstream = undefined;
});

describe("odd serve --workers 2", () => {
  it("serves from two processes, aggregates /metrics, and drains every worker on SIGTERM", async () => {
    upstream = await startUpstream();
    service = await startServiceProcess({
      ODD_ARTIFACT: SAMPLE_ARTIFACT,
      ODD_DECISIONING_METHOD: "on-device",
      ODD_UPSTREAM: upstream.url,
      ODD_WORKERS: "2",
      ODD_NOTIFICATION_FLUSH_INTERVAL: "600000",
    });
    await service.waitForLog("starting workers");
    // Both workers listen before we count: each logs its own "listening" line.
    for (let i = 0; i < 200 && service.logs.filter((l) => l.msg === "listening").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const workers = new Set(service.logs.filter((l) => l.msg === "listening").map((l) => l.pid));
    expect(workers.size).toBe(2);

    // New connections are spread round-robin over the workers.
    const visitors = Array.from({ length: 20 }, (_, i) => `cluster-visitor-${i}`);
    for (const tntId of visitors) {
      const res = await fetch(`${service.url}/rest/v1/delivery`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: JSON.stringify({ id: { tntId }, execute: { mboxes: [{ name: "hero", index: 1 }] } }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('odd_decisions_total{method="on-device",outcome="ok"} 20');
    expect(metrics).toContain('odd_artifact_downloads_total{outcome="success"} 2');
    expect(metrics).toMatch(/odd_notifications_queued 20/);

    service.child.kill("SIGTERM");
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const stopped = service.logs.filter((l) => l.msg === "stopped");
    expect(new Set(stopped.map((l) => l.pid))).toEqual(workers);
    const delivered = upstream.requests
      .flatMap((r) => (Array.isArray(r.body?.notifications) ? [String(r.body.id?.tntId)] : []))
      .filter((t) => t.startsWith("cluster-visitor-"));
    expect(new Set(delivered)).toEqual(new Set(visitors));
    expect(delivered).toHaveLength(visitors.length);
  }, 60_000);
});
