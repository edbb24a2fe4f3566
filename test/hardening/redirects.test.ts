/**
 * Issue 10, item 3: no outbound call follows a redirect. A stand-in answers every call with a
 * 307/302 pointing at a second, "foreign" server that records what reaches it: nothing may.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { TargetClient } from "../../src/index";
import type { DecisioningError } from "../../src/errors";
import type { FetchLike } from "../../src/platform/http";
import { waitFor } from "../remote/stub-server";
import { CLIENT, ORG, hybridArtifact, memoryLogger, rejectionOf } from "../client/support";
import { postDelivery } from "../server/support";
import { startCapturedService, type CapturedService } from "./support";

interface Recorder {
  url: string;
  hits: { method: string; url: string; body: string }[];
  server: Server;
}

async function listen(handler: (req: any, res: any, body: string) => void): Promise<Recorder> {
  const hits: Recorder["hits"] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString("utf8")));
    req.on("end", () => {
      hits.push({ method: req.method ?? "", url: req.url ?? "", body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

const servers: Recorder[] = [];
const clients: TargetClient[] = [];
let service: CapturedService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.server.closeAllConnections();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});

/** A foreign server (must never be reached) and a redirector pointing every call at it. */
async function redirectPair(status: number) {
  const foreign = await listen((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: 200, client: "foreign", rules: { mboxes: {} }, version: "1.0.0" }));
  });
  const redirector = await listen((req, res) => {
    res.writeHead(status, { location: `${foreign.url}${req.url}` });
    res.end();
  });
  servers.push(foreign, redirector);
  return { foreign, redirector };
}

describe("the artifact download", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`refuses a ${status} with ODE_ERR_REDIRECT_REFUSED and never contacts the target`, async () => {
      const { foreign, redirector } = await redirectPair(status);
      const failures: DecisioningError[] = [];
      const client = TargetClient.create({
        client: CLIENT,
        organizationId: ORG,
        decisioningMethod: "on-device",
        artifactLocation: `${redirector.url}/rules.json`,
        targetLocationHint: "28",
        pollingInterval: 0,
        logger: memoryLogger().logger,
        events: { artifactDownloadFailed: (e: any) => failures.push(e.error) },
      });
      clients.push(client);
      await waitFor(() => failures.length > 0, 5000);
      expect(failures[0]!.code).toBe("ODE_ERR_REDIRECT_REFUSED");
      expect(failures[0]!.status).toBe(status);
      expect(client.status().ready).toBe(false);
      expect(foreign.hits).toEqual([]);
    });
  }
});

describe("the service's Delivery API calls (decisions, notifications, location-hint ping)", () => {
  for (const status of [302, 307]) {
    it(`never follows a ${status} from the upstream`, async () => {
      const { foreign, redirector } = await redirectPair(status);
      service = await startCapturedService({ upstream: redirector.url, method: "server-side" });
      const decision = await postDelivery(service.url, { id: { tntId: "visitor-1" }, execute: { mboxes: [{ name: "hero", index: 1 }] } });
      expect(decision.status).toBe(502);
      const notified = await postDelivery(service.url, {
        id: { tntId: "visitor-1" },
        notifications: [{ id: "n1", type: "display", timestamp: Date.now(), mbox: { name: "hero" }, tokens: ["t"] }],
      });
      expect(notified.status).toBeGreaterThanOrEqual(400);
      await service.client.flush().catch(() => undefined);
      expect(redirector.hits.length).toBeGreaterThanOrEqual(2);
      expect(foreign.hits).toEqual([]);
    });
  }
});

describe("the library with a caller's fetchApi that follows redirects by default", () => {
  it("sends redirect: manual, so the caller's fetch does not follow either", async () => {
    const { foreign, redirector } = await redirectPair(307);
    const fetchApi = ((url: string, init: any) =>
      undiciFetch(url.replace(/^https?:\/\/[^/]+/, redirector.url), init)) as unknown as FetchLike;
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORG,
      decisioningMethod: "server-side",
      targetLocationHint: "28",
      fetchApi,
      logger: memoryLogger().logger,
    });
    clients.push(client);
    const error = await rejectionOf(client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } }));
    expect(error.code).toBe("ODE_ERR_REDIRECT_REFUSED");
    expect(foreign.hits).toEqual([]);
  });

  it("the geo lookup does not follow either; the decision goes on without geo", async () => {
    const { foreign, redirector } = await redirectPair(302);
    const fetchApi = ((url: string, init: any) =>
      undiciFetch(url.replace(/^https?:\/\/[^/]+/, redirector.url), init)) as unknown as FetchLike;
    const client = TargetClient.create({
      client: CLIENT,
      organizationId: ORG,
      decisioningMethod: "on-device",
      artifactPayload: hybridArtifact({ geoTargetingEnabled: true }),
      targetLocationHint: "28",
      pollingInterval: 0,
      fetchApi,
      logger: memoryLogger().logger,
    });
    clients.push(client);
    await client.ready({ timeout: 5000 });
    const result = await client.getOffers({
      request: { context: { geo: { ipAddress: "203.0.113.7" } }, execute: { mboxes: [{ name: "local-one", index: 1 }] } },
    });
    expect(result.response.execute!.mboxes![0]!.options![0]!.content).toEqual({ from: "local" });
    await client.flush().catch(() => undefined);
    expect(redirector.hits.some((h) => h.method === "GET")).toBe(true);
    expect(foreign.hits).toEqual([]);
  });
});
