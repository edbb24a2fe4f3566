import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DecisioningError } from "../../src/errors";
import { systemScheduler } from "../../src/platform/scheduler";
import { ManualScheduler } from "../support/manual-scheduler";
import { createDeliveryClient, deliveryHost, deliveryUrl, type DeliveryClientOptions } from "../../src/remote/delivery-client";
import { closedPort, fetch, json, recordingLogger, startStub, waitFor, type StubServer } from "./stub-server";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

let stub: StubServer;
afterEach(async () => {
  await stub?.close();
});

function clientFor(server: { hostPort: string }, extra: Partial<DeliveryClientOptions> = {}) {
  const { logger, lines } = recordingLogger();
  const client = createDeliveryClient({
    client: "acmeclient",
    organizationId: "ABC123@AdobeOrg",
    fetch,
    scheduler: systemScheduler,
    logger,
    secure: false,
    serverDomain: server.hostPort,
    backoff: { initialDelay: 5, maxDelay: 20 },
    ...extra,
  });
  return { client, lines };
}

async function rejection(p: Promise<unknown>): Promise<DecisioningError> {
  try {
    await p;
  } catch (err) {
    expect(DecisioningError.is(err)).toBe(true);
    return err as DecisioningError;
  }
  throw new Error("expected a rejection");
}

const request = { requestId: "req-1", context: { channel: "web" }, execute: { mboxes: [{ name: "hero", index: 1 }] } };

describe("deliveryHost", () => {
  it("prefers the edge cluster, then serverDomain, then the client host", () => {
    expect(deliveryHost({ client: "acme", cluster: "28", serverDomain: "x.example" })).toBe("https://mboxedge28.tt.omtrdc.net");
    expect(deliveryHost({ client: "acme", serverDomain: "x.example" })).toBe("https://x.example");
    expect(deliveryHost({ client: "acme" })).toBe("https://acme.tt.omtrdc.net");
    expect(deliveryHost({ client: "acme", secure: false })).toBe("http://acme.tt.omtrdc.net");
  });

  it("ignores a cluster that could redirect the call to another host", () => {
    expect(deliveryHost({ client: "acme", cluster: "a@localhost:8080/?" })).toBe("https://acme.tt.omtrdc.net");
    expect(deliveryHost({ client: "acme", cluster: "" })).toBe("https://acme.tt.omtrdc.net");
  });

  it("URL-encodes the query values", () => {
    expect(deliveryUrl("https://h", "ABC@AdobeOrg", "a b&c", "2.0 x")).toBe(
      "https://h/rest/v1/delivery?imsOrgId=ABC%40AdobeOrg&sessionId=a%20b%26c&version=2.0%20x",
    );
    expect(deliveryUrl("https://h", "o", "s")).toBe("https://h/rest/v1/delivery?imsOrgId=o&sessionId=s");
  });
});

describe("createDeliveryClient against a Delivery API stand-in", () => {
  it("POSTs the exact URL, query, headers and body of a server-side call", async () => {
    stub = await startStub((_hit, res) => json(res, 200, { status: 200, requestId: "req-1", edgeHost: "mboxedge28.tt.omtrdc.net" }));
    const { client } = clientFor(stub, { version: "2.8.0" });
    const result = await client.deliver(request, { sessionId: "sess 1/2" });

    expect(stub.hits).toHaveLength(1);
    const hit = stub.hits[0]!;
    expect(hit.method).toBe("POST");
    expect(hit.path).toBe("/rest/v1/delivery");
    expect([...hit.query.entries()]).toEqual([
      ["imsOrgId", "ABC123@AdobeOrg"],
      ["sessionId", "sess 1/2"],
      ["version", "2.8.0"],
    ]);
    expect(hit.headers["content-type"]).toBe("application/json");
    expect(hit.headers["x-exc-sdk"]).toBe("AdobeTargetNode");
    expect(hit.headers["x-exc-sdk-version"]).toBe("2.4.3");
    expect(hit.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(hit.json).toEqual(request);

    expect(result.status).toBe(200);
    expect(result.response).toEqual({ status: 200, requestId: "req-1", edgeHost: "mboxedge28.tt.omtrdc.net" });
    expect(result.host).toBe(stub.origin);
    expect(result.attempts).toBe(1);
    expect(result.timing.execution).toBeGreaterThanOrEqual(0);
    expect(result.timing.parsing).toBeGreaterThanOrEqual(0);
  });

  it("sends a fresh X-Request-Id per call and honours sdkVersion", async () => {
    stub = await startStub((_hit, res) => json(res, 200, {}));
    const { client } = clientFor(stub, { sdkVersion: "9.9.9" });
    await client.deliver(request, { sessionId: "s" });
    await client.deliver(request, { sessionId: "s" });
    expect(stub.hits[0]!.headers["x-request-id"]).not.toBe(stub.hits[1]!.headers["x-request-id"]);
    expect(stub.hits[0]!.headers["x-exc-sdk-version"]).toBe("9.9.9");
    expect(stub.hits[0]!.query.has("version")).toBe(false);
  });

  it("stops retrying a 503 at the bound and reports the status with a body excerpt", async () => {
    stub = await startStub((_hit, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("Service Unavailable " + "x".repeat(1000));
    });
    const { client } = clientFor(stub, { retries: 2 });
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(stub.hits).toHaveLength(3);
    expect(err.code).toBe("ODE_ERR_HTTP_STATUS");
    expect(err.status).toBe(503);
    expect(err.recoverable).toBe(true);
    const body = err.details?.body as string;
    expect(body.startsWith("Service Unavailable")).toBe(true);
    expect(body.length).toBeLessThanOrEqual(201);
  });

  it("succeeds after transient failures and reports the attempts", async () => {
    stub = await startStub((hit, res) => (hit.index < 2 ? json(res, hit.index === 0 ? 500 : 429, {}) : json(res, 200, { ok: 1 })));
    const { client } = clientFor(stub, { retries: 2 });
    const result = await client.deliver(request, { sessionId: "s" });
    expect(result.response).toEqual({ ok: 1 });
    expect(result.attempts).toBe(3);
    expect(stub.hits).toHaveLength(3);
  });

  it("does not retry a non-retryable status", async () => {
    stub = await startStub((_hit, res) => json(res, 400, { message: "bad request" }));
    const { client } = clientFor(stub, { retries: 3 });
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(stub.hits).toHaveLength(1);
    expect(err.code).toBe("ODE_ERR_HTTP_STATUS");
    expect(err.status).toBe(400);
    expect(err.recoverable).toBe(false);
    expect(err.details?.body).toContain("bad request");
  });

  it("waits for Retry-After instead of the backoff before retrying", async () => {
    stub = await startStub((hit, res) =>
      hit.index === 0 ? json(res, 503, {}, { "retry-after": "2" }) : json(res, 200, { retried: true }),
    );
    const scheduler = new ManualScheduler(1_000_000);
    const { client } = clientFor(stub, { scheduler, timeout: 5000, retries: 1 });
    const pending = client.deliver(request, { sessionId: "s" });
    // the whole-call timer (5000) plus the retry wait, which must be Retry-After's 2 s, not the 5-20 ms backoff
    await waitFor(() => scheduler.pendingDelays().length === 2);
    expect(scheduler.pendingDelays()).toEqual([5000, 2000]);
    expect(stub.hits).toHaveLength(1);
    await scheduler.advance(1999);
    expect(stub.hits).toHaveLength(1);
    await scheduler.advance(1);
    await expect(pending).resolves.toMatchObject({ response: { retried: true }, attempts: 2 });
    expect(stub.hits).toHaveLength(2);
  });

  it("gives up at once when Retry-After lies beyond the whole-call deadline", async () => {
    stub = await startStub((_hit, res) => json(res, 429, {}, { "retry-after": "60" }));
    const { client } = clientFor(stub, { timeout: 1000, retries: 3 });
    const started = Date.now();
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(err.code).toBe("ODE_ERR_HTTP_STATUS");
    expect(err.status).toBe(429);
    expect(stub.hits).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("treats 204 as an empty response", async () => {
    stub = await startStub((_hit, res) => {
      res.writeHead(204);
      res.end();
    });
    const { client } = clientFor(stub);
    const result = await client.deliver(request, { sessionId: "s" });
    expect(result.response).toEqual({});
    expect(result.status).toBe(204);
  });

  it("rejects with ODE_ERR_TIMEOUT within the whole-call timeout", async () => {
    stub = await startStub(() => {
      /* never answers */
    });
    const { client } = clientFor(stub, { timeout: 200, retries: 5 });
    const started = Date.now();
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    const elapsed = Date.now() - started;
    expect(err.code).toBe("ODE_ERR_TIMEOUT");
    expect(err.message).toBe("Request timed out");
    expect(err.recoverable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(200 + 250);
    expect(stub.hits).toHaveLength(1);
    await waitFor(() => stub.abortedRequests === 1); // the request was really aborted
  });

  it("times out across retries when each attempt fails slowly", async () => {
    stub = await startStub((_hit, res) => {
      setTimeout(() => json(res, 503, {}), 80);
    });
    const { client } = clientFor(stub, { timeout: 200, retries: 10 });
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(["ODE_ERR_TIMEOUT", "ODE_ERR_HTTP_STATUS"]).toContain(err.code);
    expect(stub.hits.length).toBeGreaterThanOrEqual(2);
    expect(stub.hits.length).toBeLessThanOrEqual(3);
  });

  it("the call timeout option overrides the client timeout", async () => {
    stub = await startStub(() => {});
    const { client } = clientFor(stub, { timeout: 10_000 });
    const started = Date.now();
    const err = await rejection(client.deliver(request, { sessionId: "s", timeout: 100 }));
    expect(err.code).toBe("ODE_ERR_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(100 + 250);
  });

  it("rejects with a recoverable ODE_ERR_NETWORK when the port is closed, after retrying", async () => {
    const port = await closedPort();
    stub = await startStub(() => {});
    const { client, lines } = clientFor({ hostPort: `127.0.0.1:${port}` }, { retries: 2 });
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(err.code).toBe("ODE_ERR_NETWORK");
    expect(err.recoverable).toBe(true);
    expect(err.details?.attempts).toBe(3);
    expect(lines.filter((l) => l.level === "debug" && l.text.includes("retrying"))).toHaveLength(2);
  });

  it("rejects an invalid JSON body with ODE_ERR_REMOTE_RESPONSE without retrying", async () => {
    stub = await startStub((_hit, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>oops</html>");
    });
    const { client } = clientFor(stub, { retries: 2 });
    const err = await rejection(client.deliver(request, { sessionId: "s" }));
    expect(err.code).toBe("ODE_ERR_REMOTE_RESPONSE");
    expect(err.details?.body).toBe("<html>oops</html>");
    expect(stub.hits).toHaveLength(1);
  });

  it("rejects a JSON body that is not an object", async () => {
    stub = await startStub((_hit, res) => json(res, 200, [1, 2]));
    const { client } = clientFor(stub);
    expect((await rejection(client.deliver(request, { sessionId: "s" }))).code).toBe("ODE_ERR_REMOTE_RESPONSE");
  });

  it("close() aborts in-flight calls with ODE_ERR_ABORTED and refuses later calls", async () => {
    stub = await startStub(() => {});
    const { client } = clientFor(stub, { timeout: 5000 });
    const first = client.deliver(request, { sessionId: "s" });
    const second = client.deliver(request, { sessionId: "t" });
    await waitFor(() => stub.hits.length === 2);
    client.close();
    expect((await rejection(first)).code).toBe("ODE_ERR_ABORTED");
    expect((await rejection(second)).code).toBe("ODE_ERR_ABORTED");
    expect((await rejection(client.deliver(request, { sessionId: "s" }))).code).toBe("ODE_ERR_CLOSED");
  });

  it("a caller AbortSignal aborts the call, also during a backoff wait", async () => {
    stub = await startStub((_hit, res) => json(res, 503, {}));
    const scheduler = new ManualScheduler(0);
    const { client } = clientFor(stub, { scheduler, retries: 3 });
    const controller = new AbortController();
    const pending = client.deliver(request, { sessionId: "s", signal: controller.signal });
    await waitFor(() => scheduler.pendingDelays().length === 2); // timeout + backoff
    controller.abort();
    const err = await rejection(pending);
    expect(err.code).toBe("ODE_ERR_ABORTED");
    expect(stub.hits).toHaveLength(1);
    expect(scheduler.pending).toBe(0); // both timers cancelled

    const already = new AbortController();
    already.abort();
    expect((await rejection(client.deliver(request, { sessionId: "s", signal: already.signal }))).code).toBe("ODE_ERR_ABORTED");
  });

  it("rejects a call without a session id or with an unserialisable request", async () => {
    stub = await startStub((_hit, res) => json(res, 200, {}));
    const { client } = clientFor(stub);
    expect((await rejection(client.deliver(request, { sessionId: "" }))).code).toBe("ODE_ERR_INVALID_REQUEST");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await rejection(client.deliver(cyclic, { sessionId: "s" }))).code).toBe("ODE_ERR_INVALID_REQUEST");
    expect(stub.hits).toHaveLength(0);
  });

  it("routes to the edge cluster host when a cluster is given", async () => {
    const seen: string[] = [];
    const { logger } = recordingLogger();
    const client = createDeliveryClient({
      client: "acme",
      organizationId: "org",
      scheduler: systemScheduler,
      logger,
      fetch: async (url) => {
        seen.push(url);
        return new Response("{}", { status: 200 });
      },
    });
    const result = await client.deliver({}, { sessionId: "s", cluster: "35" });
    expect(seen).toEqual(["https://mboxedge35.tt.omtrdc.net/rest/v1/delivery?imsOrgId=org&sessionId=s"]);
    expect(result.host).toBe("https://mboxedge35.tt.omtrdc.net");
  });

  it("does not mutate the request", async () => {
    stub = await startStub((_hit, res) => json(res, 200, {}));
    const { client } = clientFor(stub);
    const req = structuredClone(request);
    await client.deliver(req, { sessionId: "s" });
    expect(req).toEqual(request);
  });
});
