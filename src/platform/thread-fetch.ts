/**
 * A FetchLike whose HTTP work runs on a worker thread: the same undici keep-alive pool as
 * {@link createDefaultFetch}, but opening, writing and reading the sockets — and the garbage that
 * makes — happen off the calling thread. `odd serve` sends one notification request per new visitor;
 * on its one JavaScript thread that was as much work as answering the decision, while the machine's
 * other core had room (`ODD_OUTBOUND_THREAD=off|on npm run bench:service -- --rows floor,notify-w1`,
 * alternating: 5,589 and 5,260 req/s off, 6,059 and 6,142 on). A request
 * body crosses as a string (one copy), an answer's body as a transferred ArrayBuffer; the caller's
 * AbortSignal aborts the request on the worker.
 *
 * Node-only (worker_threads). The worker starts on the first call and is unref'd: it never keeps a
 * process alive; `close()` terminates it (its sockets close with it) and rejects the calls still
 * waiting and every later one.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { fetchResponse, POOL_OPTIONS, type UndiciHeaders } from "./defaults";
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
 * it, the pool options come as workerData). Each answer's body crosses back as a transferred
 * ArrayBuffer (no copy, binary intact).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { Agent } = require(workerData.undiciPath);
const agent = new Agent(workerData.pool);
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

function responseOf(a: Answer): FetchResponseLike {
  return fetchResponse(a.status ?? 0, a.headers ?? {}, Promise.resolve(a.body ?? new ArrayBuffer(0)));
}

/** The error a failed request rejects with: the worker's message, and undici's code when it had one. */
function requestError(a: Answer): Error {
  const err = new Error(a.error) as Error & { code?: string };
  if (a.code !== undefined) err.code = a.code;
  return err;
}

/**
 * The worker and the calls waiting for it. Started on the first call (a service that never calls
 * out never starts a thread); once it has stopped, every call rejects at once.
 */
class HttpThread {
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 0;
  #stopped: Error | undefined;

  /** Posts a call; its id, or undefined when the thread has stopped (the call is rejected then). */
  send(message: Record<string, unknown>, pending: Pending): number | undefined {
    if (this.#stopped) {
      pending.reject(this.#stopped);
      return undefined;
    }
    const id = this.#nextId++;
    this.#pending.set(id, pending);
    this.#start().postMessage({ ...message, id });
    return id;
  }

  /** Forgets call `id` (answered, failed or aborted) and returns what was waiting for it. */
  settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    return p;
  }

  abort(id: number): void {
    this.#worker?.postMessage({ type: "abort", id });
  }

  async stop(reason: Error): Promise<void> {
    this.#stopped ??= reason;
    const worker = this.#worker;
    if (!worker) return;
    // Held while it stops: an unref'd worker alone would let the process end before stop()
    // resolves (and skip whatever the caller does after it).
    worker.ref();
    await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const undiciPath = createRequire(import.meta.url).resolve("undici");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { undiciPath, pool: POOL_OPTIONS } });
    worker.unref();
    worker.on("message", (a: Answer) => {
      const p = this.settle(a.id);
      if (a.error !== undefined) p?.reject(requestError(a));
      else p?.resolve(responseOf(a));
    });
    worker.on("error", (err) => this.#failAll(err instanceof Error ? err : new Error(String(err))));
    worker.on("exit", () => this.#failAll(new Error("The HTTP worker thread has stopped")));
    this.#worker = worker;
    return worker;
  }

  #failAll(reason: Error): void {
    this.#stopped ??= reason;
    for (const id of [...this.#pending.keys()]) this.settle(id)?.reject(this.#stopped);
  }
}

export function createThreadFetch(): { fetch: FetchLike; close(): Promise<void> } {
  const thread = new HttpThread();
  const fetch: FetchLike = (url: string, init: FetchInit = {}) => {
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    const target = urlParts(url);
    return new Promise<FetchResponseLike>((resolve, reject) => {
      const message = {
        origin: target.origin,
        path: target.path,
        method: init.method ?? "GET",
        headers: init.headers,
        body: init.body,
      };
      const pending: Pending = { resolve, reject, signal, onAbort: undefined };
      const id = thread.send(message, pending);
      if (id === undefined || !signal) return;
      pending.onAbort = () => {
        thread.settle(id);
        thread.abort(id);
        reject(signal.reason ?? new Error("aborted"));
      };
      signal.addEventListener("abort", pending.onAbort, { once: true });
    });
  };
  return { fetch, close: () => thread.stop(new Error("The HTTP worker thread is closed")) };
}
