/**
 * Draining keep-alive connections without losing a request in transit. Closing the server at once
 * (node closes idle keep-alive connections in `server.close()`) races with clients that are just
 * sending their next request on such a connection: it is reset and the request is lost. Instead:
 * stop accepting new connections, answer every further request with `Connection: close` (the
 * client then opens no new request on that connection), and only after a grace period close what
 * is still idle. fastify's own close then finds (almost) nothing left to cut.
 */
import type { Server } from "node:http";
import { Server as NetServer } from "node:net";

const POLL_MS = 20;

export interface ConnectionDrain {
  /** Stops accepting, closes connections after their next response; resolves when none is left or after `graceMs`. */
  drain(graceMs: number): Promise<void>;
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
}

/** Installs the `Connection: close` marker on `server` (one flag test per request until a drain). */
export function createConnectionDrain(server: Server): ConnectionDrain {
  let draining = false;
  server.prependListener("request", (_req, res) => {
    if (draining) res.shouldKeepAlive = false;
  });
  return {
    async drain(graceMs) {
      if (draining) return;
      draining = true;
      // net.Server's close stops accepting without http.Server's "close idle connections now".
      if (server.listening) NetServer.prototype.close.call(server);
      const until = Date.now() + graceMs;
      while (Date.now() < until && (await openConnections(server)) > 0) {
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
  };
}
