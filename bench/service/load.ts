/**
 * The load generator of `npm run bench:service`, run as its own process: autocannon with a fixed
 * number of keep-alive connections, each request a new visitor (tntId `<prefix><n>`) executing the
 * `hero` mbox of the bundled sample. Every answered decision is recorded as `tntId experienceId`
 * (the experience read from the response's tokens) in `--answered`, so the orchestrator can check
 * that each one's display notification reached the stand-in exactly once.
 *
 *   node --import tsx bench/service/load.ts --url http://127.0.0.1:8080 --duration 10
 *        [--warmup 3] [--connections 16] [--prefix v-] [--answered answered.txt]
 *
 * Prints one JSON line: requests, req/s, latency percentiles (ms), errors by kind, status codes.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    prefix: { type: "string", default: "v-" },
    answered: { type: "string" },
  },
});

const EXPERIENCE_RE = /"experience\.id":(\d+)/;
const answered: string[] = [];
let next = 0;

function body(tntId: string): string {
  return (
    `{"id":{"tntId":"${tntId}"},"context":{"channel":"web","address":{"url":"https://shop.example/"},` +
    `"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},` +
    `"execute":{"mboxes":[{"name":"hero","index":1}]}}`
  );
}

interface Context {
  tntId?: string;
  sentAt?: number;
}

/** Latencies of the measured phase in ms (autocannon's own histogram has 1 ms resolution). */
const latencies: number[] = [];
let recording = false;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Socket errors by code: ECONNREFUSED = a new connection refused, ECONNRESET = a request in flight lost. */
const errorCodes: Record<string, number> = {};

function run(durationSeconds: number): Promise<autocannon.Result> {
  let settle!: { resolve: (r: autocannon.Result) => void; reject: (e: unknown) => void };
  const done = new Promise<autocannon.Result>((resolve, reject) => (settle = { resolve, reject }));
  const instance = autocannon(
    {
      url: values.url!,
      connections: Number(values.connections),
      pipelining: 1,
      duration: durationSeconds,
      timeout: 10,
      requests: [
        {
          method: "POST",
          path: "/rest/v1/delivery?client=demo",
          headers: { "content-type": "application/json" },
          setupRequest: (req: autocannon.Request, context: Context) => {
            const tntId = `${values.prefix}${next++}`;
            context.tntId = tntId;
            context.sentAt = performance.now();
            return { ...req, body: body(tntId) };
          },
          onResponse: (status: number, responseBody: string, context: Context) => {
            if (recording && context.sentAt !== undefined) latencies.push(performance.now() - context.sentAt);
            if (status !== 200 || !context.tntId) return;
            answered.push(`${context.tntId} ${EXPERIENCE_RE.exec(responseBody)?.[1] ?? "-"}`);
          },
        } as autocannon.Request,
      ],
    },
    (err: unknown, result: autocannon.Result) => (err ? settle.reject(err) : settle.resolve(result)),
  );
  instance.on("reqError", (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  });
  return done;
}

async function main(): Promise<void> {
  if (!values.url) throw new Error("--url is required");
  const warmup = Number(values.warmup);
  if (warmup > 0) await run(warmup);
  recording = true;
  const result = await run(Number(values.duration));
  recording = false;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  if (values.answered) writeFileSync(values.answered, answered.join("\n"));
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {}))
    statuses[code] = (v as { count: number }).count;
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      rps: result.requests.average,
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] ?? NaN),
      },
      autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      resets: result.resets,
      errorCodes,
      statuses,
      answeredTotal: answered.length,
    }) + "\n",
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`load: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
