/**
 * Issue 10, item 8: a service request with both `execute` and `notifications` keeps its local
 * decision when forwarding the notifications upstream fails: 200 with the decision, the failure
 * in the `x-odd-remote-error` header (its impression was queued already; a 502 made callers retry
 * and count it twice).
 */
import { afterEach, describe, expect, it } from "vitest";
import { json, startStub, type StubServer } from "../remote/stub-server";
import { postDelivery } from "../server/support";
import { startCapturedService, type CapturedService } from "./support";

let service: CapturedService | undefined;
let upstream: StubServer | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
  await upstream?.close();
  upstream = undefined;
});

const mixed = {
  id: { tntId: "visitor-1" },
  execute: { mboxes: [{ name: "hero", index: 1 }] },
  notifications: [{ id: "n1", type: "click", timestamp: Date.now(), mbox: { name: "hero" }, tokens: ["token-1"] }],
};

describe("a mixed execute + notifications request ", () => {
  it("answers the local decision with x-odd-remote-error when the upstream fails", async () => {
    upstream = await startStub((_hit, res) => json(res, 503, { message: "down" }));
    service = await startCapturedService(
      { method: "on-device", upstream: upstream.origin },
      { clientOptions: { notificationRetries: 1 } },
    );
    const res = await postDelivery(service.url, mixed);
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.execute.mboxes[0].name).toBe("hero");
    expect(body.execute.mboxes[0].options.length).toBeGreaterThan(0);
    expect(res.headers.get("x-odd-remote-error")).toMatch(/^ODE_ERR_/);
    expect(upstream.hits.some((h) => Array.isArray(h.json?.notifications))).toBe(true);
  });

  it("answers without x-odd-remote-error when the upstream takes the notifications", async () => {
    upstream = await startStub((_hit, res) => json(res, 200, { status: 200 }));
    service = await startCapturedService({ method: "on-device", upstream: upstream.origin });
    const res = await postDelivery(service.url, mixed);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-odd-remote-error")).toBeNull();
  });
});
