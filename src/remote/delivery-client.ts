/**
 * The Delivery API endpoint (`POST /rest/v1/delivery`) on top of the FetchLike port: one whole-call
 * timeout (an AbortSignal covering every retry), bounded retries with capped exponential backoff and
 * jitter on network errors, 429 and transient 5xx, `Retry-After` honoured within the deadline.
 *
 * Deliberate difference from the reference SDK, which retries 10 times immediately on any non-OK
 * status: we retry only what can succeed later (as undici's RetryHandler does) and back off.
 */
import { DecisioningError } from "../errors";
import type { DeliveryRequest, DeliveryResponse } from "../protocol/delivery";
import { DELIVERY_PATH, EDGE_CLUSTER_PREFIX, TARGET_HOST_SUFFIX } from "../protocol/endpoints";
import type { SafeLogger } from "../logger";
import { isRedirect, type FetchLike, type FetchResponseLike } from "../platform/http";
import type { Scheduler, TimerHandle } from "../platform/scheduler";
import { isValidCluster } from "../protocol/cookies";
import { randomId } from "../platform/ids";
import { abortReason, createDeadline, sleep, type Deadline } from "../primitives/abort";
import { backoffDelay, resolveBackoff, type BackoffOptions, type BackoffPolicy } from "../primitives/backoff";
import { numberOption, POSITIVE } from "../primitives/options";
import { isRetryableStatus, parseRetryAfter } from "../primitives/retry";

export const SDK_NAME = "AdobeTargetNode";
export const SDK_VERSION = "2.4.3";
export const DEFAULT_DELIVERY_TIMEOUT = 3000;
export const DEFAULT_DELIVERY_RETRIES = 2;
/** Waits between Delivery API attempts (and notification batch retries): 100 ms doubling to 2 s. */
export const DELIVERY_RETRY_BACKOFF: BackoffPolicy = Object.freeze({ initialDelay: 100, maxDelay: 2000, multiplier: 2, jitter: 0.5 });
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
  /** Backoff between retries. Default {@link DELIVERY_RETRY_BACKOFF}. */
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
 * Delivery host (docs/target-behaviour.md#cookies-clusters-and-hosts): a known cluster → `mboxedge<cluster>.tt.omtrdc.net`; else `serverDomain`;
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

/** The Delivery URL up to the session id's value: `…/rest/v1/delivery?imsOrgId=…&sessionId=`. */
function deliveryUrlPrefix(host: string, organizationId: string): string {
  return `${host}${DELIVERY_PATH}?imsOrgId=${encodeURIComponent(organizationId)}&sessionId=`;
}

/** The `&version=…` query parameter, or "" without a version. */
function versionParameter(version: string | undefined): string {
  return nonEmpty(version) ? `&version=${encodeURIComponent(version)}` : "";
}

/** The full Delivery URL with `imsOrgId`, `sessionId` and optional `version` query parameters. */
export function deliveryUrl(host: string, organizationId: string, sessionId: string, version?: string): string {
  return deliveryUrlPrefix(host, organizationId) + encodeURIComponent(sessionId) + versionParameter(version);
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

/** A client's resolved settings: everything a call needs besides its own request. */
interface Settings {
  readonly o: DeliveryClientOptions;
  readonly retries: number;
  readonly backoff: BackoffPolicy;
  readonly sdkVersion: string;
  /** The client's whole-call timeout (ms), for calls that set none. */
  readonly timeout: number;
  /** `&version=…`, or "" without a version. */
  readonly versionQuery: string;
  /** Host and URL up to the session id, per cluster: nearly every call reuses one of a few. */
  readonly endpoints: Map<string | undefined, Endpoint>;
  /** High-resolution clock for timings. */
  readonly hrNow: () => number;
}

/** Where the calls of one cluster go: the host and the Delivery URL up to `sessionId=`. */
interface Endpoint {
  host: string;
  urlPrefix: string;
}

/** Clusters whose endpoint is kept (a cluster may come from a visitor's cookie: the cache is bounded). */
const MAX_CACHED_ENDPOINTS = 16;

function resolveSettings(o: DeliveryClientOptions): Settings {
  return {
    o,
    retries: numberOption(o.retries, DEFAULT_DELIVERY_RETRIES, { min: 0, max: MAX_DELIVERY_RETRIES, clampMax: true, integer: true }),
    backoff: resolveBackoff(o.backoff, DELIVERY_RETRY_BACKOFF),
    sdkVersion: nonEmpty(o.sdkVersion) ? o.sdkVersion : SDK_VERSION,
    timeout: numberOption(o.timeout, DEFAULT_DELIVERY_TIMEOUT, POSITIVE),
    versionQuery: versionParameter(o.version),
    endpoints: new Map(),
    hrNow: perf && typeof perf.now === "function" ? () => perf.now() : () => o.scheduler.now(),
  };
}

/** The endpoint of `cluster` (see {@link deliveryHost} and {@link deliveryUrl}), computed once per cluster. */
function endpointFor(s: Settings, cluster: string | undefined): Endpoint {
  const cached = s.endpoints.get(cluster);
  if (cached) return cached;
  const { o } = s;
  const host = deliveryHost({ client: o.client, cluster, serverDomain: o.serverDomain, secure: o.secure });
  const urlPrefix = deliveryUrlPrefix(host, o.organizationId);
  const endpoint = { host, urlPrefix };
  if (s.endpoints.size < MAX_CACHED_ENDPOINTS) s.endpoints.set(cluster, endpoint);
  return endpoint;
}

/** A call in flight: what `close()` calls to end it. */
interface Abortable {
  abort(err: DecisioningError): void;
}

/**
 * The calls a client has in flight, each with its abort, so `close()` can end them all; once
 * closed, new calls are refused.
 */
class InFlightCalls {
  #closed = false;
  readonly #calls = new Set<Abortable>();

  get closed(): boolean {
    return this.#closed;
  }

  add(call: Abortable): void {
    this.#calls.add(call);
  }

  delete(call: Abortable): void {
    this.#calls.delete(call);
  }

  close(): void {
    this.#closed = true;
    const calls = [...this.#calls];
    this.#calls.clear();
    for (const call of calls) call.abort(new DecisioningError("ODE_ERR_ABORTED", "The Delivery API client was closed"));
  }
}

/** One call, validated and serialised. */
interface PreparedCall {
  body: string;
  host: string;
  url: string;
  headers: Record<string, string>;
  timeout: number;
}

/** Validates a call and builds its body, URL and headers (shared by deliver and notify). */
function prepareCall(s: Settings, request: DeliveryRequest, call: DeliveryCallOptions): PreparedCall {
  if (!call || !nonEmpty(call.sessionId)) {
    throw new DecisioningError("ODE_ERR_INVALID_REQUEST", "A sessionId is required for a Delivery API call");
  }
  let body: string;
  try {
    body = JSON.stringify(request);
  } catch (err) {
    throw new DecisioningError("ODE_ERR_INVALID_REQUEST", `The Delivery request cannot be serialised: ${messageOf(err)}`, { cause: err });
  }
  const { host, urlPrefix } = endpointFor(s, call.cluster);
  const url = urlPrefix + encodeURIComponent(call.sessionId) + s.versionQuery;
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-EXC-SDK": SDK_NAME,
    "X-EXC-SDK-Version": s.sdkVersion,
    "X-Request-Id": randomId(),
  };
  const timeout = numberOption(call.timeout, undefined, POSITIVE) ?? s.timeout;
  return { body, host, url, headers, timeout };
}

function timeoutError(host: string, timeout: number): DecisioningError {
  return new DecisioningError("ODE_ERR_TIMEOUT", "Request timed out", { recoverable: true, details: { host, timeout } });
}

function networkError(message: string, cause: unknown, details: Record<string, unknown>, status?: number): DecisioningError {
  return new DecisioningError("ODE_ERR_NETWORK", message, {
    cause,
    recoverable: true,
    ...(status !== undefined ? { status } : {}),
    details,
  });
}

/**
 * The error for a non-2xx answer. A redirect is refused, never followed (calls are made with
 * `redirect: "manual"`): it would re-send visitor ids and context to a host nobody configured.
 * Only statuses that may succeed later are recoverable (retried).
 */
function statusError(res: FetchResponseLike, host: string, text: string, attempts?: number): DecisioningError {
  const status = res.status;
  if (isRedirect(res)) {
    return new DecisioningError("ODE_ERR_REDIRECT_REFUSED", `The Delivery API answered ${status} (a redirect); redirects are not followed`, {
      status,
      details: { host, status, ...(attempts !== undefined ? { attempts } : {}) },
    });
  }
  return new DecisioningError("ODE_ERR_HTTP_STATUS", `The Delivery API answered with status ${status}`, {
    status,
    recoverable: isRetryableStatus(status),
    details: { host, status, body: excerpt(text), ...(attempts !== undefined ? { attempts } : {}) },
  });
}

/** One deliver() call on its way: the prepared request, its deadline and when it began. */
interface Delivery {
  s: Settings;
  call: PreparedCall;
  deadline: Deadline;
  /** Epoch ms after which no retry starts. */
  endsAt: number;
  /** hrNow() at the start, for the `execution` timing. */
  started: number;
}

/** What one attempt ended with: a result, or an error worth retrying (after `retryAfter` ms if the server said so). */
type Attempt =
  | { kind: "done"; result: DeliveryCallResult }
  | { kind: "retry"; error: DecisioningError; retryAfter?: number };

/** Parses a 2xx answer's body (already read) into the call's result. */
function successResult(d: Delivery, status: number, text: string, attempts: number): DeliveryCallResult {
  const { host } = d.call;
  const hrNow = d.s.hrNow;
  if (status === 204) return { response: {}, status, timing: { execution: hrNow() - d.started }, host, attempts };
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
  return { response: parsed as DeliveryResponse, status, timing: { execution: hrNow() - d.started, parsing }, host, attempts };
}

/** Reads the body of `res`; a read failure is retryable unless the call was aborted. */
async function readText(d: Delivery, res: FetchResponseLike): Promise<{ text: string } | { error: unknown }> {
  try {
    return { text: await d.deadline.race(res.text()) };
  } catch (err) {
    if (d.deadline.signal.aborted) throw abortReason(d.deadline.signal);
    return { error: err };
  }
}

async function attemptOnce(d: Delivery, attempt: number): Promise<Attempt> {
  const { url, headers, body, host } = d.call;
  const signal = d.deadline.signal;
  const attempts = attempt + 1;
  let res: FetchResponseLike;
  try {
    res = await d.deadline.race(Promise.resolve().then(() => d.s.o.fetch(url, { method: "POST", headers, body, signal, redirect: "manual" })));
  } catch (err) {
    if (signal.aborted) throw abortReason(signal);
    return { kind: "retry", error: networkError(`Delivery API request to ${host} failed: ${messageOf(err)}`, err, { host, attempts }) };
  }
  const status = res.status;
  if (status >= 200 && status < 300) {
    const read = status === 204 ? { text: "" } : await readText(d, res);
    if ("error" in read) {
      const message = `Reading the Delivery API response failed: ${messageOf(read.error)}`;
      return { kind: "retry", error: networkError(message, read.error, { host, attempts }, status) };
    }
    return { kind: "done", result: successResult(d, status, read.text, attempts) };
  }
  const read = await readText(d, res);
  const error = statusError(res, host, "text" in read ? read.text : "", attempts);
  if (!error.recoverable) throw error;
  return { kind: "retry", error, retryAfter: parseRetryAfter(res.headers.get("retry-after"), d.s.o.scheduler.now()) };
}

/** Waits before retry number `attempt`, or gives up with `lastError` when no retry is left or the wait would cross the deadline. */
async function waitBeforeRetry(d: Delivery, attempt: number, lastError: DecisioningError, retryAfter?: number): Promise<void> {
  const { scheduler, logger } = d.s.o;
  if (attempt >= d.s.retries) throw lastError;
  const delay = retryAfter ?? backoffDelay(d.s.backoff, attempt, () => scheduler.random());
  if (scheduler.now() + delay >= d.endsAt) throw lastError;
  if (logger.debugEnabled) {
    logger.debug(`Delivery API attempt ${attempt + 1} failed (${lastError.message}); retrying in ${delay} ms`);
  }
  await sleep(scheduler, delay, d.deadline.signal);
}

async function deliver(
  s: Settings,
  calls: InFlightCalls,
  request: DeliveryRequest,
  options: DeliveryCallOptions,
): Promise<DeliveryCallResult> {
  if (calls.closed) throw new DecisioningError("ODE_ERR_CLOSED", "The Delivery API client is closed");
  const call = prepareCall(s, request, options);
  const { scheduler } = s.o;
  const deadline = createDeadline({
    scheduler,
    timeoutMs: call.timeout,
    onTimeout: () => timeoutError(call.host, call.timeout),
    parent: options.signal,
    onParentAbort: (reason) => new DecisioningError("ODE_ERR_ABORTED", "The Delivery API call was aborted", { cause: reason }),
  });
  const inFlight: Abortable = { abort: (err) => deadline.abort(err) };
  calls.add(inFlight);
  const d: Delivery = { s, call, deadline, endsAt: scheduler.now() + call.timeout, started: s.hrNow() };
  try {
    for (let attempt = 0; ; attempt++) {
      if (deadline.signal.aborted) throw abortReason(deadline.signal);
      const outcome = await attemptOnce(d, attempt);
      if (outcome.kind === "done") return outcome.result;
      await waitBeforeRetry(d, attempt, outcome.error, outcome.retryAfter);
    }
  } finally {
    deadline.dispose();
    calls.delete(inFlight);
  }
}

/** A notification send that can time out. */
interface Expirable {
  expire(): void;
}

/**
 * Timeouts of the pending notification sends: one sweep timer for all of them (it fires at the
 * earliest deadline plus up to a quarter of the timeout, at most 250 ms late). A timer armed and
 * cancelled per send cost more than the rest of the send.
 */
class NotifyTimeouts {
  readonly #pending = new Map<Expirable, number>();
  #timer: TimerHandle | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly slack: number,
  ) {}

  /** Calls `send.expire()` once `deadline` (scheduler time) has passed, unless deleted before. */
  add(send: Expirable, deadline: number): void {
    this.#pending.set(send, deadline);
    this.#arm();
  }

  delete(send: Expirable): void {
    this.#pending.delete(send);
    // No send left to time out: no timer may outlive the work (edge runtimes, process exit).
    if (this.#pending.size === 0) this.#disarm();
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer || this.#pending.size === 0) return;
    let next = Infinity;
    for (const deadline of this.#pending.values()) next = Math.min(next, deadline);
    this.#timer = this.scheduler.setTimeout(() => this.#sweep(), Math.max(0, next - this.scheduler.now()) + this.slack);
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = this.scheduler.now();
    for (const [send, deadline] of [...this.#pending]) {
      if (deadline > now) continue;
      this.#pending.delete(send);
      send.expire();
    }
    this.#arm();
  }
}

/**
 * One notification send in flight (see {@link DeliveryClient.notify}). A class rather than
 * closures: a send is made per batch, and its callbacks are methods shared by all sends.
 */
class NotifySend implements Abortable, Expirable {
  #settled = false;
  readonly #start: number;

  constructor(
    private readonly s: Settings,
    private readonly calls: InFlightCalls,
    private readonly timeouts: NotifyTimeouts,
    private readonly call: PreparedCall,
    private readonly resolve: (result: NotifyResult) => void,
    private readonly reject: (err: DecisioningError) => void,
  ) {
    this.#start = s.hrNow();
  }

  /** Arms the timeout, registers the send for close() and calls fetch. */
  start(): void {
    const { s, call } = this;
    this.timeouts.add(this, s.o.scheduler.now() + call.timeout);
    this.calls.add(this);
    const { url, headers, body, host } = call;
    let answer: Promise<FetchResponseLike>;
    try {
      answer = Promise.resolve(s.o.fetch(url, { method: "POST", headers, body, redirect: "manual" }));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (res) => this.#answered(res),
      (err: unknown) => this.finish(networkError(`Delivery API request to ${host} failed: ${messageOf(err)}`, err, { host })),
    );
  }

  /**
   * A 2xx settles at once, its body drained in the background (so a keep-alive socket is
   * released); an error status reads its body for the error first. The status is what matters
   * for a notification: an unreadable body leaves the excerpt empty.
   */
  #answered(res: FetchResponseLike): void {
    const status = res.status;
    let text: Promise<string>;
    try {
      text = Promise.resolve(res.text());
    } catch {
      text = Promise.resolve("");
    }
    if (status >= 200 && status < 300) {
      this.finish(undefined, status);
      text.then(ignore, ignore);
      return;
    }
    text.then(
      (body) => this.finish(statusError(res, this.call.host, body), status),
      () => this.finish(statusError(res, this.call.host, ""), status),
    );
  }

  expire(): void {
    this.finish(timeoutError(this.call.host, this.call.timeout));
  }

  abort(err: DecisioningError): void {
    this.finish(err);
  }

  finish(err: DecisioningError | undefined, status = 0): void {
    if (this.#settled) return;
    this.#settled = true;
    this.timeouts.delete(this);
    this.calls.delete(this);
    if (err) this.reject(err);
    else this.resolve({ status, timing: { execution: this.s.hrNow() - this.#start } });
  }
}

function ignore(): void {}

/** The lean notification send (see {@link DeliveryClient.notify}). */
function notify(
  s: Settings,
  calls: InFlightCalls,
  timeouts: NotifyTimeouts,
  request: DeliveryRequest,
  options: DeliveryCallOptions,
): Promise<NotifyResult> {
  let call: PreparedCall;
  try {
    if (calls.closed) throw new DecisioningError("ODE_ERR_CLOSED", "The Delivery API client is closed");
    call = prepareCall(s, request, options);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<NotifyResult>((resolve, reject) => {
    new NotifySend(s, calls, timeouts, call, resolve, reject).start();
  });
}

export function createDeliveryClient(o: DeliveryClientOptions): DeliveryClient {
  const settings = resolveSettings(o);
  const calls = new InFlightCalls();
  const timeouts = new NotifyTimeouts(o.scheduler, Math.min(250, Math.max(1, Math.floor(settings.timeout / 4))));
  return {
    deliver: (request, call) => deliver(settings, calls, request, call),
    notify: (request, call) => notify(settings, calls, timeouts, request, call),
    close: () => calls.close(),
  };
}
