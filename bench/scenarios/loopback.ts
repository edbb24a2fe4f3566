/**
 * Scenario 8, the server-side floor: a keep-alive POST of a scenario-1 Delivery request to a local
 * Delivery API stand-in (node:http on 127.0.0.1, in a worker thread so it has its own event loop
 * and core) that answers a canned Delivery response. Client: undici with a keep-alive connection.
 * No decision is made anywhere: this is the cost of the round trip alone.
 */
import { Worker } from "node:worker_threads";
import { once } from "node:events";
import { Client } from "undici";
import { mergeSamples, sampleAsync, summarize, type Samples } from "../lib/harness";
import type { BenchConfig, ScenarioResult } from "../lib/types";
import { executeOneMbox } from "./requests";

const CANNED_RESPONSE = {
  status: 200,
  requestId: "4d8d1f0e5b4f4b7a9f4e0b1f7a0e9c11",
  client: "targettesting",
  id: { tntId: "338e3c1e51f7416a8e1ccba4f81acea0.28_0" },
  edgeHost: "mboxedge28.tt.omtrdc.net",
  execute: {
    mboxes: [
      {
        index: 1,
        name: "perf-mbox",
        options: [
          {
            type: "json",
            content: { foo: "bar", isFooBar: true, experience: "A" },
            responseTokens: { "activity.id": 120100 },
          },
        ],
        metrics: [],
      },
    ],
  },
};

const SERVER_SOURCE = `
const http = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const body = Buffer.from(workerData.body);
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (m) => {
  if (m !== "close") return;
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
`;

export async function startDeliveryStandIn(): Promise<{ origin: string; close(): Promise<void> }> {
  const worker = new Worker(SERVER_SOURCE, {
    eval: true,
    workerData: { body: JSON.stringify(CANNED_RESPONSE) },
  });
  const [message] = (await once(worker, "message")) as [{ port: number }];
  return {
    origin: `http://127.0.0.1:${message.port}`,
    close: async () => {
      worker.postMessage("close");
      await once(worker, "exit");
    },
  };
}

export async function runLoopbackScenario(config: BenchConfig): Promise<ScenarioResult> {
  config.log("scenario 8: keep-alive POST to a local Delivery API stand-in (undici → node:http, 127.0.0.1)");
  const server = await startDeliveryStandIn();
  const client = new Client(server.origin, { keepAliveTimeout: 60_000, pipelining: 1 });
  try {
    const op = async (i: number) => {
      const body = JSON.stringify((executeOneMbox(i) as { request: unknown }).request);
      const res = await client.request({
        method: "POST",
        path: `/rest/v1/delivery?client=targettesting&sessionId=s${i}`,
        headers: { "content-type": "application/json" },
        body,
      });
      if (res.statusCode !== 200) throw new Error(`stand-in answered ${res.statusCode}`);
      return res.body.json();
    };
    const parts: Samples[] = [];
    for (let r = 0; r < config.rounds; r++) parts.push(await sampleAsync(op, config.budgets.ours));
    const ours = summarize(mergeSamples(parts));
    const result: ScenarioResult = {
      id: "8",
      title: "loopback keep-alive POST (server-side floor)",
      kind: "floor",
      ours,
    };
    config.log(
      `  ${Math.round(ours.opsPerSec)} req/s mean ${ours.meanUs.toFixed(1)} µs p50 ${ours.p50Us.toFixed(1)} µs p99 ${ours.p99Us.toFixed(1)} µs`,
    );
    return result;
  } finally {
    await client.close();
    await server.close();
  }
}
