/**
 * Issue 10, item 7: at most a handful of log lines per request, whatever it contains. One ~1 MB
 * request with tens of thousands of invalid mboxes and notifications used to log one error line
 * for each of them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import { anArtifact } from "../../src/testing/index";
import { CLIENT, ORG, memoryLogger } from "../client/support";
import { postDelivery } from "../server/support";
import { startCapturedService, type CapturedService } from "./support";

const MAX_LINES_PER_REQUEST = 5;
const COUNT = 16_000;

/** i in letters: log lines that differ in more than digits (repeat collapsing ignores digits). */
const letters = (i: number) => i.toString(26).replace(/\d/g, (d) => "qrstuvwxyz"[Number(d)]!);

/** Every mbox and notification invalid, and each one different (so no repeat collapsing helps). */
function noisyRequest() {
  return {
    execute: {
      mboxes: [
        { name: "hero", index: 0 },
        ...Array.from({ length: COUNT }, (_, i) => ({ name: "", index: i + 1, parameters: { k: letters(i) } })),
      ],
    },
    notifications: Array.from({ length: COUNT / 4 }, (_, i) => ({ id: "", type: "display", timestamp: i, tokens: [letters(i)] })),
  };
}

let service: CapturedService | undefined;
const clients: TargetClient[] = [];
afterEach(async () => {
  await service?.close();
  service = undefined;
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("log volume per request ", () => {
  it("the library logs a handful of lines for a request with 20,000 invalid items", async () => {
    const { lines, logger } = memoryLogger();
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORG,
      decisioningMethod: "on-device",
      artifactPayload: anArtifact({ client: CLIENT, organizationId: ORG }).build(),
      targetLocationHint: "28",
      pollingInterval: 0,
      logger,
    });
    clients.push(client);
    await client.ready({ timeout: 2000 });
    const before = lines.length;
    await client.getOffers({ request: noisyRequest() as never });
    const logged = lines.slice(before);
    expect(logged.length).toBeLessThanOrEqual(MAX_LINES_PER_REQUEST);
    // What was dropped is still said, with its count.
    expect(logged.join("\n")).toMatch(/16000|16,000/);
  });

  it("the service logs a handful of lines for a 1 MB request", async () => {
    service = await startCapturedService({ method: "on-device", upstream: "off" }, {}, "debug");
    const body = JSON.stringify(noisyRequest());
    expect(body.length).toBeGreaterThan(700_000);
    expect(body.length).toBeLessThan(1_048_576);
    const before = service.lines.length;
    const res = await postDelivery(service.url, body);
    await res.arrayBuffer();
    expect(res.status).toBeLessThan(500);
    const logged = service.lines.slice(before);
    expect(logged.length, JSON.stringify(logged.slice(0, 8))).toBeLessThanOrEqual(MAX_LINES_PER_REQUEST);
    const bytes = logged.reduce((n, l) => n + JSON.stringify(l).length, 0);
    expect(bytes).toBeLessThan(8_000);
  });
});
