/**
 * The Delivery API endpoint (`POST /rest/v1/delivery`) on top of the FetchLike port: one whole-call
 * timeout (an AbortSignal covering every retry), bounded retries with capped exponential backoff and
 * jitter on network errors, 429 and transient 5xx, `Retry-After` honoured within the deadline.
 *
 * Deliberate difference from the reference SDK, which retries 10 times immediately on any non-OK
 * status: we retry only what can succeed later (style guide 1.9, undici RetryHandler) and back off.
 */
import { DecisioningError } from "../errors";
import type { DeliveryRequest, DeliveryResponse } from "../protocol/delivery";
import { DELIVERY_PATH, EDGE_CLUSTER_PREFIX, TARGET_HOST_SUFFIX } from "../protocol/endpoints";
import type { SafeLogger } from "../logger";
import type { FetchLike, FetchResponseLike } from "../platform/http";
import type { Scheduler } from "../platform/scheduler";
import { isValidCluster } from "../protocol/cookies";
import { randomId } from "../platform/ids";
import { abortReason, computeBackoff, isRetryableStatus, parseRetryAfter, sleep, type BackoffOptions } from "../primitives/retry";

export const SDK_NAME = "AdobeTargetNode";
export const SDK_VERSION = "2.4.3";
export const DEFAULT_DELIVERY_TIMEOUT = 3000;
export const DEFAULT_DELIVERY_RETRIES = 2;
const MAX_DELIVERY_RETRIES = 10;
const BODY_EXCERPT_LENGTH = 200;

export interface DeliveryClientOptions {
  client: string;
  organizationId: string;
  fetch: FetchLike;
  scheduler: Scheduler;
  logger: SafeLogger;
  /** Whole-call timeout in ms, covering all retries. Default 3000. */
  timeout?: number;
  /** Retries after the first attempt. Default 2. */
  retries?: number;
  /** Backoff between retries (see retry.ts). Default 100 ms doubling up to 2000 ms, 50 % jitter. */
  backoff?: BackoffOptions;
  /** Only `false` switches to `http://`. */
  secure?: boolean;
  serverDomain?: string;
  /** at.js version sent as the `version` query parameter. */
  version?: string;
  /** Value of `X-EXC-SDK-Version`. Default "2.4.3" (the SDK we are compatible with). */
  sdkVersion?: string;
}

export interface DeliveryCallOptions {
  sessionId: string;
  /** Edge cluster (location hint); selects `mboxedge<cluster>.tt.omtrdc.net`. */
  cluster?: string;
  signal?: AbortSignal;
  /** Overrides the client's whole-call timeout for this call. */
  timeout?: number;
}

export interface DeliveryCallResult {
  response: DeliveryResponse;
  status: number;
  /** Milliseconds: `execution` = the whole call including retries, `parsing` = JSON parsing. */
  timing: { execution: number; parsing?: number };
  host: string;
  /** Number of HTTP attempts made (1 = no retry). */
  attempts: number;
}

export interface NotifyResult {
  status: number;
  timing: { execution: number };
}

export interface DeliveryClient {
  deliver(request: DeliveryRequest, call: DeliveryCallOptions): Promise<DeliveryCallResult>;
  /**
   * The lean send used for notification batches: one attempt (the queue retries), no per-call
   * AbortController (costly, and the queue only needs an answer or a timeout), the body drained but
   * not parsed. On timeout the request is abandoned, not aborted (the default pool bounds it);
   * `close()` rejects pending sends with ODE_ERR_ABORTED.
   */
  notify(request: DeliveryRequest, call: DeliveryCallOptions): Promise<NotifyResult>;
  /** Aborts every in-flight call (they reject with ODE_ERR_ABORTED); later calls reject with ODE_ERR_CLOSED. */
  close(): void;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * Delivery host (spec 2.8): a known cluster → `mboxedge<cluster>.tt.omtrdc.net`; else `serverDomain`;
 * else `<client>.tt.omtrdc.net`. `http://` only when `secure === false`. A cluster that is not a
 * plain host label (letters, digits, dashes) is ignored: it may come from a cookie, and must not be
 * able to redirect the call to another host.
 */
export function deliveryHost(o: { client: string; cluster?: string; serverDomain?: string; secure?: boolean }): string {
  const scheme = o.secure === false ? "http://" : "https://";
  if (isValidCluster(o.cluster)) return `${scheme}${EDGE_CLUSTER_PREFIX}${o.cluster}.${TARGET_HOST_SUFFIX}`;
  if (nonEmpty(o.serverDomain)) return `${scheme}${o.serverDomain}`;
  return `${scheme}${o.client}.${TARGET_HOST_SUFFIX}`;
}

/** The full Delivery URL with `imsOrgId`, `sessionId` and optional `version` query parameters. */
export function deliveryUrl(host: string, organizationId: string, sessionId: string, version?: string): string {
  let url = `${host}${DELIVERY_PATH}?imsOrgId=${encodeURIComponent(organizationId)}&sessionId=${encodeURIComponent(sessionId)}`;
  if (nonEmpty(version)) url += `&version=${encodeURIComponent(version)}`;
  return url;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function excerpt(text: string): string {
  return text.length > BODY_EXCERPT_LENGTH ? `${text.slice(0, BODY_EXCERPT_LENGTH)}…` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const perf = (globalThis as { performance?: { now(): number } }).performance;

export function createDeliveryClient(o: DeliveryClientOptions): DeliveryClient {
  const { fetch, scheduler, logger } = o;
  const retries =
    typeof o.retries === "number" && Number.isFinite(o.retries) && o.retries >= 0
      ? Math.min(MAX_DELIVERY_RETRIES, Math.floor(o.retries))
      : DEFAULT_DELIVERY_RETRIES;
  const sdkVersion = nonEmpty(o.sdkVersion) ? o.sdkVersion : SDK_VERSION;
  const hrNow = perf && typeof perf.now === "function" ? () => perf.now() : () => scheduler.now();
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function attemptLoop(
    url: string,
    host: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    aborted: Promise<never>,
    deadline: number,
    start: number,
  ): Promise<DeliveryCallResult> {
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

    /** Waits before the next attempt, or gives up with `lastError` when the wait would cross the deadline. */
    const backoff = async (attempt: number, lastError: DecisioningError, retryAfter?: number) => {
      if (attempt >= retries) throw lastError;
      const delay = retryAfter ?? computeBackoff(attempt, o.backoff, () => scheduler.random());
      if (scheduler.now() + delay >= deadline) throw lastError;
      if (logger.debugEnabled) {
        logger.debug(`Delivery API attempt ${attempt + 1} failed (${lastError.message}); retrying in ${delay} ms`);
      }
      await sleep(scheduler, delay, signal);
    };

    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortReason(signal);
      let res: FetchResponseLike;
      try {
        res = await race(Promise.resolve().then(() => fetch(url, { method: "POST", headers, body, signal })));
      } catch (err) {
        if (signal.aborted) throw abortReason(signal);
        const error = new DecisioningError("ODE_ERR_NETWORK", `Delivery API request to ${host} failed: ${messageOf(err)}`, {
          cause: err,
          recoverable: true,
          details: { host, attempts: attempt + 1 },
        });
        await backoff(attempt, error);
        continue;
      }

      const status = res.status;
      if (status >= 200 && status < 300) {
        let text = "";
        if (status !== 204) {
          try {
            text = await race(res.text());
          } catch (err) {
            if (signal.aborted) throw abortReason(signal);
            const error = new DecisioningError("ODE_ERR_NETWORK", `Reading the Delivery API response failed: ${messageOf(err)}`, {
              cause: err,
              recoverable: true,
              status,
              details: { host, attempts: attempt + 1 },
            });
            await backoff(attempt, error);
            continue;
          }
        }
        if (status === 204) {
          return { response: {}, status, timing: { execution: hrNow() - start }, host, attempts: attempt + 1 };
        }
        const parseStart = hrNow();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw new DecisioningError("ODE_ERR_REMOTE_RESPONSE", `The Delivery API answered ${status} with a body that is not JSON`, {
            cause: err,
            status,
            details: { host, body: excerpt(text) },
          });
        }
        const parsing = hrNow() - parseStart;
        if (!isPlainObject(parsed)) {
          throw new DecisioningError("ODE_ERR_REMOTE_RESPONSE", `The Delivery API answered ${status} with a body that is not an object`, {
            status,
            details: { host, body: excerpt(text) },
          });
        }
        return {
          response: parsed as DeliveryResponse,
          status,
          timing: { execution: hrNow() - start, parsing },
          host,
          attempts: attempt + 1,
        };
      }

      let text = "";
      try {
        text = await race(res.text());
      } catch {
        if (signal.aborted) throw abortReason(signal);
      }
      const retryable = isRetryableStatus(status);
      const error = new DecisioningError("ODE_ERR_HTTP_STATUS", `The Delivery API answered with status ${status}`, {
        status,
        recoverable: retryable,
        details: { host, status, body: excerpt(text), attempts: attempt + 1 },
      });
      if (!retryable) throw error;
      await backoff(attempt, error, parseRetryAfter(res.headers.get("retry-after"), scheduler.now()));
    }
  }

  /** Validates a call and builds its body, URL and headers (shared by deliver and notify). */
  function prepare(request: DeliveryRequest, call: DeliveryCallOptions) {
    if (closed) throw new DecisioningError("ODE_ERR_CLOSED", "The Delivery API client is closed");
    if (!call || !nonEmpty(call.sessionId)) {
      throw new DecisioningError("ODE_ERR_INVALID_REQUEST", "A sessionId is required for a Delivery API call");
    }
    let body: string;
    try {
      body = JSON.stringify(request);
    } catch (err) {
      throw new DecisioningError("ODE_ERR_INVALID_REQUEST", `The Delivery request cannot be serialised: ${messageOf(err)}`, { cause: err });
    }
    const host = deliveryHost({ client: o.client, cluster: call.cluster, serverDomain: o.serverDomain, secure: o.secure });
    const url = deliveryUrl(host, o.organizationId, call.sessionId, o.version);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-EXC-SDK": SDK_NAME,
      "X-EXC-SDK-Version": sdkVersion,
      "X-Request-Id": randomId(),
    };
    const timeout = positive(call.timeout) ?? positive(o.timeout) ?? DEFAULT_DELIVERY_TIMEOUT;
    return { body, host, url, headers, timeout };
  }

  async function deliver(request: DeliveryRequest, call: DeliveryCallOptions): Promise<DeliveryCallResult> {
    const { body, host, url, headers, timeout } = prepare(request, call);

    const controller = new AbortController();
    const signal = controller.signal;
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(abortReason(signal)), { once: true });
    });
    aborted.catch(() => {}); // observed through Promise.race; never unhandled
    const timer = scheduler.setTimeout(() => {
      controller.abort(
        new DecisioningError("ODE_ERR_TIMEOUT", "Request timed out", { recoverable: true, details: { host, timeout } }),
      );
    }, timeout);
    const onCallerAbort = () =>
      controller.abort(new DecisioningError("ODE_ERR_ABORTED", "The Delivery API call was aborted", { cause: call.signal?.reason }));
    if (call.signal?.aborted) onCallerAbort();
    else call.signal?.addEventListener("abort", onCallerAbort, { once: true });
    inFlight.add(controller);

    const start = hrNow();
    try {
      return await attemptLoop(url, host, headers, body, signal, aborted, scheduler.now() + timeout, start);
    } finally {
      timer.cancel();
      call.signal?.removeEventListener("abort", onCallerAbort);
      inFlight.delete(controller);
    }
  }

  const pendingNotifies = new Set<(err: DecisioningError) => void>();

  function notify(request: DeliveryRequest, call: DeliveryCallOptions): Promise<NotifyResult> {
    let prepared: ReturnType<typeof prepare>;
    try {
      prepared = prepare(request, call);
    } catch (err) {
      return Promise.reject(err);
    }
    const { body, host, url, headers, timeout } = prepared;
    const start = hrNow();
    return new Promise<NotifyResult>((resolve, reject) => {
      let settled = false;
      const finish = (err: DecisioningError | undefined, status = 0) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        pendingNotifies.delete(abort);
        if (err) reject(err);
        else resolve({ status, timing: { execution: hrNow() - start } });
      };
      const abort = (err: DecisioningError) => finish(err);
      const timer = scheduler.setTimeout(
        () => finish(new DecisioningError("ODE_ERR_TIMEOUT", "Request timed out", { recoverable: true, details: { host, timeout } })),
        timeout,
      );
      pendingNotifies.add(abort);
      Promise.resolve()
        .then(() => fetch(url, { method: "POST", headers, body }))
        .then(
          async (res) => {
            const status = res.status;
            let text = "";
            try {
              text = await res.text(); // drain, so a keep-alive socket is released
            } catch {
              // the status is what matters for a notification
            }
            if (status >= 200 && status < 300) return finish(undefined, status);
            const retryable = isRetryableStatus(status);
            finish(
              new DecisioningError("ODE_ERR_HTTP_STATUS", `The Delivery API answered with status ${status}`, {
                status,
                recoverable: retryable,
                details: { host, status, body: excerpt(text) },
              }),
            );
          },
          (err: unknown) =>
            finish(
              new DecisioningError("ODE_ERR_NETWORK", `Delivery API request to ${host} failed: ${messageOf(err)}`, {
                cause: err,
                recoverable: true,
                details: { host },
              }),
            ),
        );
    });
  }

  function close(): void {
    closed = true;
    for (const abort of [...pendingNotifies]) abort(new DecisioningError("ODE_ERR_ABORTED", "The Delivery API client was closed"));
    for (const controller of inFlight) {
      controller.abort(new DecisioningError("ODE_ERR_ABORTED", "The Delivery API client was closed"));
    }
    inFlight.clear();
  }

  return { deliver, notify, close };
}
