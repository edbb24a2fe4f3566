/**
 * Capping counters in Redis, shared by every service node that uses the same Redis. One kept
 * client (ioredis, reconnecting in the background); `reserve` is one Lua script, so the check of
 * all caps and the increments happen atomically inside Redis. Commands fail fast while Redis is
 * unreachable (no offline queue, short timeouts) so a decision never waits on an outage.
 */
import { Redis } from "ioredis";
import { DecisioningError } from "../errors";
import type { CapCounts } from "./core/decide";
import {
  counterKeys,
  type AsyncCappingStore,
  type CapReservation,
  type ReserveResult,
} from "./core/capping/port";

/**
 * KEYS: global and profile counter per item (2 per item). ARGV: global cap, profile cap (-1: none)
 * and times per item (3 per item). Returns {1} after incrementing all, or {0, g1, p1, g2, p2, …}
 * with the current counters when any item would exceed a cap.
 */
const RESERVE_SCRIPT = `
local n = #KEYS / 2
local current = {}
local fits = true
for i = 1, n do
  local g = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local p = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  current[2 * i - 1] = g
  current[2 * i] = p
  local gcap = tonumber(ARGV[3 * i - 2])
  local pcap = tonumber(ARGV[3 * i - 1])
  local t = tonumber(ARGV[3 * i])
  if (gcap >= 0 and g + t > gcap) or (pcap >= 0 and p + t > pcap) then fits = false end
end
if fits then
  for i = 1, n do
    local t = tonumber(ARGV[3 * i])
    redis.call('INCRBY', KEYS[2 * i - 1], t)
    redis.call('INCRBY', KEYS[2 * i], t)
  end
  return {1}
end
local out = {0}
for i = 1, 2 * n do out[i + 1] = current[i] end
return out
`;

export interface RedisCappingOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Prefix of every key (isolates deployments or test runs sharing one Redis). */
  keyPrefix?: string;
  /** Per-command timeout, ms (default 5,000: generous, because a busy node answers late; an unreachable Redis fails at once). */
  commandTimeoutMs?: number;
  /** Called on connection errors (log them; the client keeps reconnecting). */
  onError?: (err: Error) => void;
}

const CONNECT_TIMEOUT_MS = 2_000;

type ReserveCommand = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

function unavailable(err: unknown): DecisioningError {
  const message = err instanceof Error ? err.message : String(err);
  return new DecisioningError("ODE_ERR_CAPPING_UNAVAILABLE", `Redis capping store: ${message}`, {
    cause: err,
    recoverable: true,
  });
}

function toCounts(offerIds: readonly string[], values: readonly unknown[]): CapCounts {
  return new Map(
    offerIds.map((id, i) => [
      id,
      { global: Number(values[2 * i] ?? 0) || 0, profile: Number(values[2 * i + 1] ?? 0) || 0 },
    ]),
  );
}

export function createRedisCappingStore(options: RedisCappingOptions): AsyncCappingStore {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix ?? "odd:cap:",
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  client.on("error", (err: Error) => options.onError?.(err));
  // Commands fail fast while disconnected, except before the first connection: the first calls
  // wait for it, once and at most the connect timeout, so a freshly started node does not fail
  // its first decisions and a node started during an outage does not wait on every call.
  let initialWait: Promise<void> | undefined;
  const connected = (): Promise<void> => {
    initialWait ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      client.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return client.status === "ready" ? Promise.resolve() : initialWait;
  };
  client.defineCommand("oddReserveCaps", { lua: RESERVE_SCRIPT });
  const reserveCommand = (client as unknown as { oddReserveCaps: ReserveCommand }).oddReserveCaps.bind(
    client,
  );
  const keysOf = (scope: string, offerIds: readonly string[], profileKey: string): string[] =>
    offerIds.flatMap((id) => counterKeys(scope, id, profileKey));

  return {
    kind: "redis",
    async read(scope, offerIds, profileKey) {
      if (offerIds.length === 0) return new Map();
      try {
        await connected();
        return toCounts(offerIds, await client.mget(...keysOf(scope, offerIds, profileKey)));
      } catch (err) {
        throw unavailable(err);
      }
    },
    async reserve(scope, items: readonly CapReservation[], profileKey): Promise<ReserveResult> {
      const ids = items.map((i) => i.offerId);
      const args = items.flatMap((i) => [i.globalCap ?? -1, i.profileCap ?? -1, i.times]);
      let reply: unknown;
      try {
        await connected();
        const keys = keysOf(scope, ids, profileKey);
        reply = await reserveCommand(keys.length, ...keys, ...args);
      } catch (err) {
        throw unavailable(err);
      }
      const values = Array.isArray(reply) ? reply : [];
      if (Number(values[0]) === 1) return { ok: true };
      return { ok: false, counts: toCounts(ids, values.slice(1)) };
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
