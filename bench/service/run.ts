/**
 * `npm run bench:service`: the decisioning service under HTTP load, side by side with its HTTP floor
 * and the reference SDK behind the same fastify, in one run against the same load generator
 * (wrk, or autocannon without it, in its own process, 16 keep-alive connections, a new visitor per request executing the
 * sample's `hero` mbox). Rows:
 *
 *   floor         fastify answering a canned Delivery response after parsing the body
 *   off-w1        odd serve --upstream off --workers 1
 *   notify-w1     odd serve --upstream <stand-in> --workers 1 (display notifications counted)
 *   notify-floor  the floor, plus one display notification per request POSTed to the stand-in
 *   reference     @adobe/target-nodejs-sdk on-device behind fastify, same stand-in
 *   off-w2        odd serve --upstream off --workers 2
 *   outage        notify-w1 with the stand-in down for --outage seconds in the middle of the load
 *   sigterm       notify-w1 with SIGTERM sent to the service in the middle of the load
 *
 *   npm run bench:service -- [--duration 10] [--warmup 3] [--connections 16] [--outage 30]
 *                            [--rows floor,off-w1,...]
 *
 * Every decision answered 200 must have its display notification at the stand-in exactly once, with
 * the token of the experience the response showed. Prints a table and writes
 * bench/results/service.json.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort, ROOT, serviceEntry, treeRss, waitFor200 } from "../lib/processes";
import { loadGenerator, runLoadGenerator, wrkPinning } from "./run-load";
import { startStandIn, type StandIn } from "./stand-in";
import { serviceVerdicts, verdictTable, type ServiceRow } from "./verdicts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    outage: { type: "string", default: "30" },
    rows: { type: "string", default: "floor,off-w1,notify-w1,notify-floor,reference,off-w2,outage,sigterm" },
  },
});
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const OUTAGE = Number(values.outage);
const SETTLE_LIMIT_MS = 90_000;

interface RowSpec {
  id: string;
  title: string;
  server: "floor" | "notify-floor" | "reference" | "odd";
  upstream?: "off" | "stand-in";
  workers?: number;
  outage?: boolean;
  sigterm?: boolean;
}

const ROWS: RowSpec[] = [
  { id: "floor", title: "fastify, canned Delivery response after parsing the body (floor)", server: "floor" },
  { id: "off-w1", title: "odd serve --upstream off --workers 1", server: "odd", upstream: "off", workers: 1 },
  {
    id: "notify-w1",
    title: "odd serve --workers 1, display notifications to the stand-in",
    server: "odd",
    upstream: "stand-in",
    workers: 1,
  },
  {
    id: "notify-floor",
    title: "floor + one display notification per request to the stand-in (undici)",
    server: "notify-floor",
    upstream: "stand-in",
  },
  {
    id: "reference",
    title: "@adobe/target-nodejs-sdk on-device behind fastify, same stand-in",
    server: "reference",
    upstream: "stand-in",
  },
  { id: "off-w2", title: "odd serve --upstream off --workers 2", server: "odd", upstream: "off", workers: 2 },
  {
    id: "outage",
    title: `odd serve --workers 1, stand-in down ${OUTAGE} s mid-run`,
    server: "odd",
    upstream: "stand-in",
    workers: 1,
    outage: true,
  },
  {
    id: "sigterm",
    title: "odd serve --workers 1, SIGTERM mid-run",
    server: "odd",
    upstream: "stand-in",
    workers: 1,
    sigterm: true,
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Display token of each `hero` experience in the sample artifact. */
function heroTokens(): Map<string, string> {
  const artifact = JSON.parse(readFileSync(path.join(ROOT, "samples", "sample-artifact.json"), "utf8")) as {
    rules: {
      mboxes: Record<
        string,
        { meta: Record<string, unknown>; consequence: { options: { eventToken: string }[] } }[]
      >;
    };
  };
  const map = new Map<string, string>();
  for (const rule of artifact.rules.mboxes.hero ?? []) {
    map.set(String(rule.meta["experience.id"]), rule.consequence.options.map((o) => o.eventToken).join(","));
  }
  return map;
}

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  exitedAt(): number;
  logFile?: string;
}

async function startServer(spec: RowSpec, standIn: StandIn | undefined, dir: string): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  let logFile: string | undefined;
  if (spec.server === "odd") {
    const entry = serviceEntry();
    logFile = path.join(dir, `${spec.id}.log`);
    const { openSync } = await import("node:fs");
    const out = openSync(logFile, "w");
    child = spawn(process.execPath, ["--expose-gc", ...entry.args, "serve"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        ODD_UPSTREAM: spec.upstream === "off" ? "off" : standIn!.url,
        ODD_WORKERS: String(spec.workers ?? 1),
        ODD_SHUTDOWN_TIMEOUT: "30000",
      },
      stdio: ["ignore", out, "inherit"],
    });
  } else {
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(import.meta.dirname, "servers.ts"),
        "--kind",
        spec.server,
        "--port",
        String(port),
        ...(standIn ? ["--upstream", standIn.url] : []),
      ],
      { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  let done = false;
  let at = 0;
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code) => {
      done = true;
      at = Date.now();
      r(code);
    }),
  );
  await waitFor200(`${url}/ready`, () => done);
  return { child, url, exited, exitedAt: () => at, logFile };
}

function runLoad(
  url: string,
  prefix: string,
  answered: string,
  duration: number,
): Promise<Record<string, any>> {
  return runLoadGenerator(url, {
    duration,
    warmup: WARMUP,
    connections: Number(values.connections),
    prefix,
    answered,
  });
}

/**
 * Waits until everything the service queued has reached the stand-in: the service reports nothing
 * queued or in flight (when it still runs), and the stand-in's count is stable for 2 s; at most
 * SETTLE_LIMIT_MS.
 */
async function settle(standIn: StandIn, serviceUrl: string | undefined): Promise<void> {
  const limit = Date.now() + SETTLE_LIMIT_MS;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < limit) {
    const now = standIn.stats().displayNotifications;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 2000 && (await serviceIdle(serviceUrl))) return;
    await sleep(200);
  }
}

async function serviceIdle(url: string | undefined): Promise<boolean> {
  if (!url) return true;
  const text = await fetch(`${url}/metrics`)
    .then((r) => r.text())
    .catch(() => "");
  if (!text) return true; // stopped
  return (
    metric(text, "odd_notifications_queued") === 0 &&
    metric(text, "odd_notification_requests_in_flight") === 0
  );
}

/** Live heap (after a forced GC) of the worker answering /metrics; NaN when unavailable. */
async function heapAfterGc(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics?gc=1`)
    .then((r) => r.text())
    .catch(() => "");
  return text ? metric(text, "odd_process_heap_used_bytes") : NaN;
}

interface NotificationCheck {
  answered: number;
  exactlyOnce: number;
  missing: number;
  duplicated: number;
  wrongToken: number;
  /** Notifications for decisions the load generator never saw answered (cut off at its end). */
  unacknowledged: number;
  duplicateIds: number;
}

function checkNotifications(
  answeredFile: string,
  standIn: StandIn,
  tokens: Map<string, string>,
): NotificationCheck {
  const lines = readFileSync(answeredFile, "utf8").split("\n").filter(Boolean);
  const check: NotificationCheck = {
    answered: lines.length,
    exactlyOnce: 0,
    missing: 0,
    duplicated: 0,
    wrongToken: 0,
    unacknowledged: 0,
    duplicateIds: standIn.stats().duplicateIds,
  };
  const seen = new Set<string>();
  for (const line of lines) {
    const [tntId, experience] = line.split(" ") as [string, string];
    seen.add(tntId);
    const got = standIn.byVisitor.get(tntId) ?? [];
    if (got.length === 0) check.missing++;
    else if (got.length > 1) check.duplicated++;
    else if (got[0] !== `hero ${tokens.get(experience)}`) check.wrongToken++;
    else check.exactlyOnce++;
  }
  for (const tntId of standIn.byVisitor.keys()) if (!seen.has(tntId)) check.unacknowledged++;
  return check;
}

function metric(text: string, name: string): number {
  let total = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
      found = true;
    }
  }
  return found ? total : NaN;
}

function stoppedLine(logFile: string | undefined): Record<string, unknown> | undefined {
  if (!logFile) return undefined;
  const lines = readFileSync(logFile, "utf8").split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes('"msg":"stopped"')) return JSON.parse(lines[i]!) as Record<string, unknown>;
  }
  return undefined;
}

async function runRow(
  spec: RowSpec,
  dir: string,
  tokens: Map<string, string>,
): Promise<Record<string, unknown>> {
  const standIn = spec.upstream === "stand-in" ? await startStandIn() : undefined;
  const server = await startServer(spec, standIn, dir);
  const pid = server.child.pid!;
  const answered = path.join(dir, `${spec.id}.answered`);
  const duration = spec.outage ? DURATION + OUTAGE + DURATION : DURATION;
  let maxRss = treeRss(pid);
  let maxHeap = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, treeRss(pid))), 250);
  const heapSampler = spec.outage
    ? setInterval(() => {
        void heapAfterGc(server.url).then(
          (h) => (maxHeap = Number.isFinite(h) ? Math.max(maxHeap, h) : maxHeap),
        );
      }, 5000)
    : undefined;
  const events: Promise<void>[] = [];
  const loadStart = Date.now();
  if (spec.outage && standIn) {
    events.push(
      (async () => {
        await sleep((WARMUP + DURATION) * 1000);
        await standIn.down();
        await sleep(OUTAGE * 1000);
        await standIn.up();
      })(),
    );
  }
  let sigtermAt: number | undefined;
  if (spec.sigterm) {
    events.push(
      (async () => {
        await sleep((WARMUP + DURATION / 2) * 1000);
        sigtermAt = Date.now();
        server.child.kill("SIGTERM");
      })(),
    );
  }
  const load = await runLoad(server.url, `${spec.id}-${process.pid}-`, answered, duration);
  await Promise.all(events);
  const loadMs = Date.now() - loadStart;
  if (standIn) await settle(standIn, spec.server === "odd" && !spec.sigterm ? server.url : undefined);
  if (heapSampler) clearInterval(heapSampler);
  let metricsText = "";
  if (spec.server === "odd" && !spec.sigterm) {
    metricsText = await (await fetch(`${server.url}/metrics`)).text();
  }
  const stopStart = Date.now();
  if (!spec.sigterm) server.child.kill("SIGTERM");
  const exitCode = await server.exited;
  const shutdownMs = server.exitedAt() - (sigtermAt ?? stopStart);
  clearInterval(sampler);
  const result: Record<string, unknown> = {
    id: spec.id,
    title: spec.title,
    ...load,
    loadMs,
    maxRssBytes: maxRss,
    ...(spec.outage ? { maxHeapAfterGcBytes: maxHeap } : {}),
    exitCode,
    shutdownMs,
  };
  if (metricsText) {
    result.serviceNotifications = {
      sent: metric(metricsText, 'odd_notifications_total{outcome="sent"}'),
      failed: metric(metricsText, 'odd_notifications_total{outcome="failed"}'),
      dropped: metric(metricsText, 'odd_notifications_total{outcome="dropped"}'),
      queued: metric(metricsText, "odd_notifications_queued"),
    };
  }
  const stopped = stoppedLine(server.logFile);
  if (stopped) result.stoppedLog = stopped;
  if (standIn) {
    result.standIn = standIn.stats();
    if (spec.server === "odd") result.notifications = checkNotifications(answered, standIn, tokens);
    await standIn.close();
  }
  return result;
}

const r1 = (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? Math.round(n * 10) / 10 : "n/a");

function table(rows: Record<string, any>[]): string {
  const out = [
    "| row | req/s | p50 ms | p99 ms | errors+non2xx | notifications (exactly once / answered) |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const n = r.notifications as NotificationCheck | undefined;
    out.push(
      `| ${r.title} | ${Math.round(r.rps)} | ${r1(r.latencyMs?.p50)} | ${r1(r.latencyMs?.p99)} | ${r.errors + r.non2xx} | ${
        n
          ? `${n.exactlyOnce} / ${n.answered} (missing ${n.missing}, dup ${n.duplicated}, wrong ${n.wrongToken})`
          : r.standIn
            ? `${r.standIn.displayNotifications} received`
            : ""
      } |`,
    );
  }
  return out.join("\n");
}

function ratios(rows: Record<string, any>[]): Record<string, number | string> {
  const rps = (id: string) => rows.find((r) => r.id === id)?.rps as number | undefined;
  const ratio = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 100) / 100 : "n/a");
  return {
    offOverFloor: ratio(rps("off-w1"), rps("floor")),
    notifyOverFloor: ratio(rps("notify-w1"), rps("floor")),
    notifyOverReference: ratio(rps("notify-w1"), rps("reference")),
    notifyOverNotifyFloor: ratio(rps("notify-w1"), rps("notify-floor")),
    notifyFloorOverReference: ratio(rps("notify-floor"), rps("reference")),
    offW2OverW1: ratio(rps("off-w2"), rps("off-w1")),
  };
}

async function main(): Promise<void> {
  const wanted = new Set(values.rows!.split(","));
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-service-"));
  const tokens = heroTokens();
  const rows: Record<string, any>[] = [];
  try {
    for (const spec of ROWS) {
      if (!wanted.has(spec.id)) continue;
      process.stderr.write(`bench:service: ${spec.id} …\n`);
      const row = await runRow(spec, dir, tokens);
      process.stderr.write(`${JSON.stringify(row)}\n`);
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    benchmark: "service",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
    service: serviceEntry().kind,
    loadGenerator: loadGenerator(),
    loadGeneratorPinning: loadGenerator() === "wrk" ? wrkPinning().join(" ") || "none" : "none",
    connections: Number(values.connections),
    durationSeconds: DURATION,
    warmupSeconds: WARMUP,
    outageSeconds: OUTAGE,
    rows,
    ratios: ratios(rows),
    verdicts: serviceVerdicts(rows as ServiceRow[]),
  };
  process.stdout.write(`${table(rows)}\n\n${JSON.stringify(result.ratios)}\n\n${verdictTable(result.verdicts)}\n`);
  mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results", "service.json"), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:service: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
