/**
 * The edge TargetClient's lifecycle, driven precisely in Node (a manual clock, a routed fetch):
 * no I/O before the first call, one shared first load, no timers between calls, revalidation on
 * a call once stale, background work handed to waitUntil. The real runtimes run it in
 * workerd.test.ts, deno.test.ts and browser.test.ts.
 */
import { describe, expect, it } from "vitest";
import { TargetClient, createBackgroundTasks, type EdgeClientOptions } from "../../src/edge";
import { ManualScheduler } from "../support/manual-scheduler";
import { fakeFetch, json } from "../support/fake-fetch";
import { loadArtifact } from "../support/shared";
import { deliveryRequest } from "./support";

const ARTIFACT_URL = "https://assets.example.test/rules.json";
const ab = loadArtifact("TEST_ARTIFACT_AB_SIMPLE");
const execute = deliveryRequest({ execute: { mboxes: [{ name: "mbox-magician", index: 1 }] }, tntId: "338e3c1e51f7416a8e1ccba4f81acea0.28_0" });

function artifactServer(versions: unknown[] = [ab]) {
  let current = 0;
  let failNext = 0;
  let releaseNotifications: (() => void) | undefined;
  let holdNotifications = false;
  const fetchApi = fakeFetch({
    [`GET ${ARTIFACT_URL}`]: (call) => {
      if (failNext > 0) {
        failNext--;
        return new Response("unavailable", { status: 503 });
      }
      const etag = `"v${current}"`;
      if (call.headers["If-None-Match"] === etag) return new Response(null, { status: 304, headers: { etag } });
      return json(versions[current], { headers: { etag } });
    },
    "POST https://": async () => {
      if (holdNotifications) await new Promise<void>((resolve) => (releaseNotifications = resolve));
      return json({});
    },
  });
  return {
    fetchApi,
    publish: (i: number) => (current = i),
    failNext: (n: number) => (failNext = n),
    holdNotifications: () => (holdNotifications = true),
    release: () => releaseNotifications?.(),
    gets: () => fetchApi.calls.filter((c) => c.method === "GET").length,
    posts: () => fetchApi.calls.filter((c) => c.method === "POST"),
  };
}

function create(server: ReturnType<typeof artifactServer>, extra: Partial<EdgeClientOptions> = {}, scheduler = new ManualScheduler(Date.UTC(2026, 0, 1))) {
  const client = TargetClient.create({
    client: "someClientId",
    organizationId: "someOrgId",
    decisioningMethod: "on-device",
    artifactLocation: ARTIFACT_URL,
    fetchApi: server.fetchApi,
    scheduler,
    telemetryEnabled: false,
    ...extra,
  });
  return { client, scheduler };
}

describe("edge TargetClient lifecycle", () => {
  it("validates options at create, as the Node client does, and refuses file locations", () => {
    expect(() => TargetClient.create({} as never)).toThrow(expect.objectContaining({ code: "ODE_ERR_INVALID_OPTION" }));
    expect(() =>
      TargetClient.create({ client: "c", organizationId: "o", artifactLocation: "/srv/rules.json" }),
    ).toThrow(expect.objectContaining({ code: "ODE_ERR_INVALID_OPTION" }));
  });

  it("does no I/O at create; concurrent first calls share one artifact load", async () => {
    const server = artifactServer();
    const { client } = create(server);
    expect(server.fetchApi.calls).toHaveLength(0);
    const results = await Promise.all([1, 2, 3].map(() => client.getOffers({ request: execute })));
    expect(server.gets()).toBe(1);
    for (const r of results) expect(r.response.execute?.mboxes?.[0]?.options?.[0]?.content).toEqual({ doMagic: true, importantValue: 150 });
    await client.close();
  });

  it("arms no timer after a failed first load; the next call loads again", async () => {
    const server = artifactServer();
    server.failNext(1);
    const { client, scheduler } = create(server);
    await expect(client.getOffers({ request: execute })).rejects.toMatchObject({ code: "ODE_ERR_NOT_READY" });
    expect(scheduler.pending).toBe(0);
    expect((await client.getOffers({ request: execute })).meta.decisioningMethod).toBe("on-device");
    expect(server.gets()).toBe(2);
    await client.close();
  });

  it("leaves no timer armed once a call and its waitUntil work are done", async () => {
    const server = artifactServer();
    const { client, scheduler } = create(server, { telemetryEnabled: true });
    const tasks = createBackgroundTasks();
    await client.getOffers({ request: execute, waitUntil: tasks.waitUntil });
    await tasks.settled();
    expect(server.posts()).toHaveLength(1); // the display notification (with telemetry) was sent
    expect(scheduler.pending).toBe(0);
    await client.close();
  });

  it("reports a failed first load to an errCallback as the Node client reports NOT_READY", async () => {
    const server = artifactServer();
    server.failNext(1);
    const { client } = create(server);
    const errors: unknown[] = [];
    const result = await client.getOffers({ request: execute, errCallback: (e) => errors.push(e) });
    expect(result).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: "ODE_ERR_NOT_READY" })]);
    await client.close();
  });

  it("answers a call on a stale artifact at once and revalidates it in that call's waitUntil (single-flight)", async () => {
    const server = artifactServer([ab, { ...ab, version: "1.0.9" }]);
    const { client, scheduler } = create(server, { pollingInterval: 60_000 });
    expect((await client.getOffers({ request: execute })).meta.artifact?.version).toBe("1.0.0");
    server.publish(1);
    await scheduler.advance(30_000);
    const early = createBackgroundTasks();
    expect((await client.getOffers({ request: execute, waitUntil: early.waitUntil })).meta.artifact?.version).toBe("1.0.0");
    await early.settled();
    expect(server.gets()).toBe(1); // not stale yet: nothing fetched
    await scheduler.advance(31_000);
    const tasks = createBackgroundTasks();
    const [a, b] = await Promise.all([
      client.getOffers({ request: execute, waitUntil: tasks.waitUntil }),
      client.getOffers({ request: execute, waitUntil: tasks.waitUntil }),
    ]);
    expect([a.meta.artifact?.version, b.meta.artifact?.version]).toEqual(["1.0.0", "1.0.0"]);
    await tasks.settled();
    expect(server.gets()).toBe(2); // one revalidation for both calls
    expect((await client.getOffers({ request: execute })).meta.artifact?.version).toBe("1.0.9");
    await client.close();
  });

  it("keeps the artifact when revalidation answers 304 (no recompile, age reset)", async () => {
    const server = artifactServer();
    const { client, scheduler } = create(server, { pollingInterval: 1000 });
    await client.getOffers({ request: execute });
    await scheduler.advance(5000);
    const tasks = createBackgroundTasks();
    await client.getOffers({ request: execute, waitUntil: tasks.waitUntil });
    await tasks.settled();
    expect(server.fetchApi.calls.filter((c) => c.method === "GET").at(-1)!.headers["If-None-Match"]).toBe('"v0"');
    expect(client.status().artifact?.ageMs).toBe(0);
    await client.close();
  });

  it("hands a call's notifications to waitUntil: the answer does not wait for their delivery", async () => {
    const server = artifactServer();
    const { client } = create(server);
    server.holdNotifications();
    const tasks = createBackgroundTasks();
    const result = await client.getOffers({ request: execute, waitUntil: tasks.waitUntil });
    expect(result.response.execute?.mboxes).toHaveLength(1);
    await expect.poll(() => server.posts().length).toBe(1);
    expect(tasks.pending).toBeGreaterThan(0);
    expect(server.posts()[0]!.body.notifications[0]).toMatchObject({ type: "display", mbox: { name: "mbox-magician" } });
    server.release();
    await tasks.settled();
    expect(client.status().notifications.sent).toBe(1);
    await client.close();
  });

  it("uses the client's waitUntil when a call brings none", async () => {
    const server = artifactServer();
    const tasks = createBackgroundTasks();
    const { client } = create(server, { waitUntil: tasks.waitUntil });
    await client.getOffers({ request: execute });
    expect(tasks.pending).toBeGreaterThan(0);
    await tasks.settled();
    expect(server.posts()).toHaveLength(1);
    await client.close();
  });

  it("sendNotifications: invalid options reject at once, valid ones are delivered through waitUntil", async () => {
    const server = artifactServer();
    const tasks = createBackgroundTasks();
    const { client } = create(server);
    await expect(client.sendNotifications({ request: { notifications: "nope" } as never })).rejects.toMatchObject({
      code: "ODE_ERR_INVALID_REQUEST",
    });
    const delivery = client.sendNotifications({
      request: { ...execute, notifications: [{ id: "n1", type: "click", timestamp: 1, mbox: { name: "m" } }] } as never,
      waitUntil: tasks.waitUntil,
    });
    expect(tasks.pending).toBe(1);
    await delivery;
    expect(server.posts()[0]!.body.notifications[0]).toMatchObject({ id: "n1", type: "click" });
    await client.close();
  });

  it("delivers events to listeners registered before the first call", async () => {
    const server = artifactServer();
    const { client } = create(server);
    const seen: string[] = [];
    client.on("artifactDownloadSucceeded", (e) => seen.push(e.type));
    const off = client.on("clientReady", (e) => seen.push(e.type));
    await client.ready();
    off();
    expect(seen).toEqual(["artifactDownloadSucceeded", "clientReady"]);
    await client.close();
  });

  it("decides server-side without an artifact", async () => {
    const server = artifactServer();
    const { client } = create(server, { decisioningMethod: "server-side", serverDomain: "edge.example.test" });
    server.fetchApi.calls.length = 0;
    const result = await client.getOffers({ request: execute });
    expect(result.meta.decisioningMethod).toBe("server-side");
    expect(server.gets()).toBe(0);
    await client.close();
  });
});
