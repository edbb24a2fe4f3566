/**
 * A FetchLike whose HTTP work runs on a worker thread: the same undici keep-alive pool as
 * {@link createDefaultFetch}, but opening, writing and reading the sockets — and the garbage that
 * makes — happen off the calling thread. `odd serve` sends one notification request per new visitor;
 * on its one JavaScript thread that was as much work as answering the decision, while the machine's
 * other core had room (`npm run bench:service`, notifications row: 6,099 → 6,672 req/s). A request
 * body crosses as a string (one copy), an answer's body as a transferred ArrayBuffer; the caller's
 * AbortSignal aborts the request on the worker.
 *
 * Node-only (worker_threads). The worker is unref'd: it never keeps a process alive; `close()`
 * terminates it (its sockets close with it) and rejects the calls still waiting.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { fetchResponse, type UndiciHeaders } from "./defaults";
import type { FetchInit, FetchLike, FetchResponseLike } from "./http";
import { urlParts } from "./url-parts";

interface Answer {
  id: number;
  status?: number;
  headers?: UndiciHeaders;
  body?: ArrayBuffer;
  error?: string;
  code?: string;
}


interface Pending {
  resolve: (res: FetchResponseLike) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The worker's program (CommonJS, run with `eval`; undici is loaded from where this package resolves
 * it). Each answer's body crosses back as a transferred ArrayBuffer (no copy, binary intact).
 */
function workerSource(undiciPath: string): string {
  return `
const { parentPort } = require("node:worker_threads");
const { Agent } = require(${JSON.stringify(undiciPath)});
const agent = new Agent({ keepAliveTimeout: 10000, keepAliveMaxTimeout: 60000, connections: 64,
  headersTimeout: 30000, bodyTimeout: 30000 });
const aborts = new Map();
function answer(id, res) {
  return res.body.arrayBuffer().then((body) =>
    parentPort.postMessage({ id, status: res.statusCode, headers: res.headers, body }, [body]));
}
parentPort.on("message", (m) => {
  if (m.type === "abort") return aborts.get(m.id)?.abort();
  const controller = new AbortController();
  aborts.set(m.id, controller);
  agent
    .request({ origin: m.origin, path: m.path, method: m.method, headers: m.headers, body: m.body,
      signal: controller.signal })
    .then((res) => answer(m.id, res))
    .catch((err) => parentPort.postMessage({ id: m.id, error: String((err && err.message) || err),
      code: err && typeof err.code === "string" ? err.code : undefined }))
    .finally(() => aborts.delete(m.id));
});`;
}

function responseOf(a: Answer): FetchResponseLike {
  return fetchResponse(a.status ?? 0, a.headers ?? {}, Promise.resolve(a.body ?? new ArrayBuffer(0)));
}

/** The error a failed request rejects with: the worker's message, and undici's code when it had one. */
function requestError(a: Answer): Error {
  const err = new Error(a.error) as Error & { code?: string };
  if (a.code !== undefined) err.code = a.code;
  return err;
}

export function createThreadFetch(): { fetch: FetchLike; close(): Promise<void> } {
  const undiciPath = createRequire(import.meta.url).resolve("undici");
  const worker = new Worker(workerSource(undiciPath), { eval: true });
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let closed = false;
  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    return p;
  };
  worker.on("message", (a: Answer) => {
    const p = settle(a.id);
    if (!p) return;
    if (a.error !== undefined) p.reject(requestError(a));
    else p.resolve(responseOf(a));
  });
  const failAll = (err: Error) => {
    for (const id of [...pending.keys()]) settle(id)?.reject(err);
  };
  worker.on("error", (err) => failAll(err instanceof Error ? err : new Error(String(err))));
  worker.on("exit", () => failAll(new Error("The HTTP worker thread has stopped")));

  const fetch: FetchLike = (url: string, init: FetchInit = {}) => {
    if (closed) return Promise.reject(new Error("The HTTP worker thread is closed"));
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    const target = urlParts(url);
    const id = nextId++;
    return new Promise<FetchResponseLike>((resolve, reject) => {
      const onAbort = signal
        ? () => {
            settle(id);
            worker.postMessage({ type: "abort", id });
            reject(signal.reason ?? new Error("aborted"));
          }
        : undefined;
      if (onAbort) signal!.addEventListener("abort", onAbort, { once: true });
      pending.set(id, { resolve, reject, signal, onAbort });
      worker.postMessage({
        id,
        origin: target.origin,
        path: target.path,
        method: init.method ?? "GET",
        headers: init.headers,
        body: init.body,
      });
    });
  };
  return {
    fetch,
    close: async () => {
      if (closed) return;
      closed = true;
      // Held while it stops: an unref'd worker alone would let the process end before close()
      // resolves (and skip whatever the caller does after it).
      worker.ref();
      await worker.terminate();
    },
  };
}
