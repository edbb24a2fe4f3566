/**
 * Offer decisioning in real `odd serve` processes: fixtures created through the repository API,
 * decisions through the ODE endpoints. Two processes sharing one store see each other's changes
 * within a second; two processes sharing Redis hold a global cap exactly.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { testStores, type TestStore } from "../../src/storage/testing";
import { call, hal, OM, TOKEN } from "../repository/support";
import { cliInvocation, spawnLogging, type RunningProcess } from "../server/support";
import { decisionBody } from "./support";

const REDIS_URL = process.env.ODD_TEST_REDIS_URL;
const stores: TestStore[] = await testStores();
const tmp = mkdtempSync(path.join(tmpdir(), "odd-offers-serve-"));
const running: RunningProcess[] = [];
const redisPrefix = `odd-test:${randomUUID()}:`;

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  await Promise.all(running.map((p) => p.exited));
  await Promise.all(stores.map((s) => s.dispose()));
  rmSync(tmp, { recursive: true, force: true });
  if (REDIS_URL) {
    const admin = new Redis(REDIS_URL);
    const keys = await admin.keys(`${redisPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
});

const FIXED = "2026-06-15T12:00:00.000Z";

async function serve(store: string, extra: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const args = [
    ...cliInvocation().args,
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--store",
    store,
    "--api-token",
    TOKEN,
    "--fixed-time",
    FIXED,
    ...extra,
  ];
  const proc = spawnLogging(process.execPath, args, { LOG_LEVEL: "info", ...env });
  running.push(proc);
  const listening = await proc.waitForLog("listening", 30_000);
  return String(listening.url);
}

interface Fixture {
  container: string;
  placement: string;
  activity: string;
  fallback: string;
  offers: Record<string, string>;
  instanceIds: Record<string, string>;
}

async function create(
  base: string,
  container: string,
  schema: string,
  instance: Record<string, unknown>,
): Promise<{ id: string; instanceId: string }> {
  const reply = await call(`${base}/data/core/xcore`, "POST", `/${container}/instances`, {
    body: { _instance: instance, _links: {} },
    contentType: hal(`${OM}/${schema}`),
  });
  if (reply.status !== 201) throw new Error(`create ${schema}: ${reply.status} ${reply.text}`);
  return { id: reply.body["@id"], instanceId: reply.body.instanceId };
}

const text = (copy: string) => [
  {
    "@type": `${OM}/content-component-text`,
    "dc:format": "text/plain",
    "dc:language": ["en"],
    "xdm:copyline": copy,
  },
];

/** A container with one activity over three offers: capped (priority 9), adults-only (5), plain (1). */
async function createFixture(base: string): Promise<Fixture> {
  const reply = await call(`${base}/data/core/xcore`, "POST", "/containers", {
    body: { productContexts: ["acp"], _instance: { "repo:name": `offers-${randomUUID()}` }, _links: {} },
    contentType: hal("https://ns.adobe.com/experience/xcore/container"),
  });
  const container = reply.body.instanceId as string;
  const placement = (
    await create(base, container, "offer-placement", {
      "xdm:name": "web",
      "xdm:componentType": `${OM}/content-component-text`,
      "xdm:channel": "https://ns.adobe.com/xdm/channels/web",
    })
  ).id;
  const adults = (
    await create(base, container, "eligibility-rule", {
      "xdm:name": "adults",
      "xdm:condition": { "xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": "person.age >= 18" },
    })
  ).id;
  const broken = (
    await create(base, container, "eligibility-rule", {
      "xdm:name": "broken",
      "xdm:condition": { "xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": "person.age >" },
    })
  ).id;
  const offer = async (name: string, priority: number, extra: Record<string, unknown> = {}) =>
    create(base, container, "personalized-offer", {
      "xdm:name": name,
      "xdm:status": "approved",
      "xdm:rank": { "xdm:priority": priority },
      "xdm:representations": [{ "xdm:placement": placement, "xdm:components": text(name) }],
      ...extra,
    });
  const capped = await offer("capped", 9, { "xdm:cappingConstraint": { "xdm:globalCap": 100 } });
  const adultsOnly = await offer("adults", 5, {
    "xdm:selectionConstraint": { "xdm:eligibilityRule": adults },
  });
  const brokenRule = await offer("broken", 7, {
    "xdm:selectionConstraint": { "xdm:eligibilityRule": broken },
  });
  const plain = await offer("plain", 1);
  const fallback = (
    await create(base, container, "fallback-offer", {
      "xdm:name": "fallback",
      "xdm:status": "approved",
      "xdm:representations": [{ "xdm:placement": placement, "xdm:components": text("fallback") }],
    })
  ).id;
  const ids = [capped, adultsOnly, brokenRule, plain].map((o) => o.id);
  const filter = (
    await create(base, container, "offer-filter", { "xdm:name": "all", "xdm:filterType": "offers", ids })
  ).id;
  const activity = (
    await create(base, container, "offer-activity", {
      "xdm:name": "act",
      "xdm:status": "live",
      "xdm:placement": placement,
      "xdm:filter": filter,
      "xdm:fallback": fallback,
    })
  ).id;
  return {
    container,
    placement,
    activity,
    fallback,
    offers: { capped: capped.id, adults: adultsOnly.id, broken: brokenRule.id, plain: plain.id },
    instanceIds: { capped: capped.instanceId, plain: plain.instanceId },
  };
}

async function decide(base: string, container: string, body: unknown, token: string | null = TOKEN) {
  return call(base, "POST", `/data/core/ode/${container}/decisions`, { body, token });
}

/** Polls until the node answers /offers for the activity (it has seen the fixture). */
async function waitForActivity(base: string, f: Fixture, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await call(
      base,
      "GET",
      `/data/core/ode/${f.container}/offers?activityId=${encodeURIComponent(f.activity)}`,
    );
    if (r.status === 200) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`activity not visible: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const ids = (body: any): string[] =>
  body["xdm:propositions"].map((p: any) =>
    p["xdm:options"]
      ? p["xdm:options"].map((o: any) => o["xdm:id"]).join()
      : `fallback:${p["xdm:fallback"]["xdm:id"]}`,
  );

describe.each(stores)("offer decisioning in odd serve ($name)", { timeout: 120_000 }, (store) => {
  it("decides over fixtures created through the repository API, with auth, diagnostics and dryRun", async () => {
    const base = await serve(store.url, ["--random-seed", "7"]);
    const f = await createFixture(base);
    await waitForActivity(base, f);
    expect(
      (
        await decide(
          base,
          f.container,
          decisionBody([{ activity: f.activity, placement: f.placement }]),
          null,
        )
      ).status,
    ).toBe(401);
    const body = decisionBody([{ activity: f.activity, placement: f.placement, itemCount: 3 }], {
      dryRun: true,
      requestId: "req-1",
    });
    const r = await decide(base, f.container, body);
    expect(r.status).toBe(200);
    expect(r.body["xdm:decisionRequestId"]).toBe("req-1");
    expect(r.body["ode:createDate"]).toBe(Date.parse(FIXED));
    // the broken rule never proposes its offer; the unknown profile is empty, so no adults-only offer
    expect(ids(r.body)).toEqual([[f.offers.capped, f.offers.plain].join()]);
    const diagnostics = await call(base, "GET", `/data/core/ode/${f.container}/diagnostics`);
    const errors = diagnostics.body["xdm:operations"]["xdm:offerCatalogUpdate"]["xdm:errors"];
    expect(
      errors.some((e: any) => e.message.startsWith("PQL:") && /line 1, column \d+/.test(e.message)),
    ).toBe(true);
    const bad = await decide(
      base,
      f.container,
      decisionBody([{ activity: f.activity, placement: f.placement, itemCount: 31 }]),
    );
    expect(bad.status).toBe(422);
    const ods = await call(base, "POST", "/data/core/ods/decisions", {
      body: decisionBody([{ activity: f.activity, placement: f.placement }], { dryRun: true }),
    });
    expect(ods.status).toBe(200);
  });

  it("a second node on the same store sees a change within a second", async () => {
    const a = await serve(store.url);
    const b = await serve(store.url);
    const f = await createFixture(a);
    expect(await waitForActivity(b, f)).toBeLessThan(5_000);
    const patch = [{ op: "replace", path: "/_instance/xdm:rank/xdm:priority", value: 99 }];
    const patched = await call(
      `${a}/data/core/xcore`,
      "PATCH",
      `/${f.container}/instances/${f.instanceIds.plain}`,
      {
        body: patch,
        contentType: "application/vnd.adobe.platform.xcore.patch.hal+json",
      },
    );
    expect(patched.status).toBe(200);
    const started = Date.now();
    let seen = false;
    while (!seen && Date.now() - started < 1_000) {
      const r = await decide(
        b,
        f.container,
        decisionBody([{ activity: f.activity, placement: f.placement }], { dryRun: true }),
      );
      seen = ids(r.body)[0] === f.offers.plain;
      if (!seen) await new Promise((res) => setTimeout(res, 25));
    }
    expect(seen).toBe(true);
  });

  it.runIf(REDIS_URL)(
    "two nodes sharing Redis propose a globalCap-100 offer exactly 100 times in 1,000 concurrent decisions",
    async () => {
      const env = { ODD_CAPPING: REDIS_URL! };
      const nodes = [await serve(store.url, [], env), await serve(store.url, [], env)];
      const f = await createFixture(nodes[0]!);
      await Promise.all(nodes.map((n) => waitForActivity(n, f)));
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          decide(
            nodes[i % 2]!,
            f.container,
            decisionBody([{ activity: f.activity, placement: f.placement }], { identity: `Email:${i}@x` }),
          ),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const outages = running.flatMap((p) => p.logs).filter((l) => l.msg === "capping store unavailable");
      expect(outages, JSON.stringify(outages[0])).toHaveLength(0);
      const chosen = answers.map((a) => ids(a.body)[0]);
      expect(chosen.filter((id) => id === f.offers.capped)).toHaveLength(100);
      expect(chosen.filter((id) => id === f.offers.plain)).toHaveLength(900);
    },
  );
});

describe("odd serve with an unreachable Redis", { timeout: 60_000 }, () => {
  it("fails closed without failing the decision, and counts the outage in /metrics", async () => {
    const base = await serve(`sqlite:${path.join(tmp, "outage.db")}`, ["--capping", "redis://127.0.0.1:1"]);
    const f = await createFixture(base);
    await waitForActivity(base, f);
    const r = await decide(
      base,
      f.container,
      decisionBody([{ activity: f.activity, placement: f.placement }]),
    );
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual([f.offers.plain]);
    const metrics = await call(base, "GET", "/metrics");
    expect(metrics.text).toMatch(/odd_offer_capping_errors_total\{operation="read"\} [1-9]/);
    expect(metrics.text).toMatch(/odd_offer_decisions_total\{status="200"\} [1-9]/);
  });
});

describe("odd serve --profiles", { timeout: 60_000 }, () => {
  it("loads JSON-lines profiles keyed by their primary identity", async () => {
    const file = path.join(tmp, "profiles.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ identityMap: { Email: [{ id: "adult@x", primary: true }] }, person: { age: 30 } })}\n\n`,
    );
    const base = await serve(`sqlite:${path.join(tmp, "profiles.db")}`, ["--profiles", file]);
    const f = await createFixture(base);
    await waitForActivity(base, f);
    const r = await decide(
      base,
      f.container,
      decisionBody([{ activity: f.activity, placement: f.placement, itemCount: 3 }], {
        identity: "Email:adult@x",
        dryRun: true,
      }),
    );
    expect(ids(r.body)).toEqual([[f.offers.capped, f.offers.adults, f.offers.plain].join()]);
  });
});
