/**
 * A loopback stand-in for Adobe Target's Delivery API that counts what it receives: every display
 * notification by visitor (tntId), with its tokens, and every notification id (to find duplicates).
 * It can be taken down (listening socket and open connections closed: callers see connection
 * refused) and brought back on the same port.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface WireNotification {
  id?: string;
  type?: string;
  mbox?: { name?: string };
  tokens?: string[];
}

export interface StandInStats {
  requests: number;
  notificationRequests: number;
  notifications: number;
  displayNotifications: number;
  duplicateIds: number;
  badBodies: number;
}

export interface StandIn {
  readonly url: string;
  /** Display notifications received per tntId: `mbox token` strings. */
  readonly byVisitor: Map<string, string[]>;
  stats(): StandInStats;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const OK_BODY = '{"status":200}';

export async function startStandIn(): Promise<StandIn> {
  const byVisitor = new Map<string, string[]>();
  const seenIds = new Set<string>();
  const stats: StandInStats = {
    requests: 0,
    notificationRequests: 0,
    notifications: 0,
    displayNotifications: 0,
    duplicateIds: 0,
    badBodies: 0,
  };

  function record(body: string): void {
    let parsed: { id?: { tntId?: string }; notifications?: WireNotification[] };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      stats.badBodies++;
      return;
    }
    const list = parsed.notifications;
    if (!Array.isArray(list) || list.length === 0) return;
    stats.notificationRequests++;
    const tntId = parsed.id?.tntId ?? "";
    for (const n of list) {
      stats.notifications++;
      if (n.id !== undefined) {
        if (seenIds.has(n.id)) stats.duplicateIds++;
        else seenIds.add(n.id);
      }
      if (n.type !== "display") continue;
      stats.displayNotifications++;
      const entry = `${n.mbox?.name ?? ""} ${(n.tokens ?? []).join(",")}`;
      const seen = byVisitor.get(tntId);
      if (seen) seen.push(entry);
      else byVisitor.set(tntId, [entry]);
    }
  }

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      stats.requests++;
      record(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(OK_BODY);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  return {
    url: `http://127.0.0.1:${port}`,
    byVisitor,
    stats: () => ({ ...stats }),
    async down() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
    async up() {
      if (listening) return;
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      listening = true;
    },
    async close() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
