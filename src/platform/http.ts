/**
 * The HTTP port: a subset of WHATWG fetch, so `globalThis.fetch`, `undici.fetch` and edge runtimes'
 * fetch all fit as they are. Every HTTP call the client makes goes through one FetchLike.
 */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Every call of this package sends "manual": a redirect is answered, never followed. */
  redirect?: "manual" | "follow" | "error";
}

export interface FetchResponseLike {
  status: number;
  ok?: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  json?(): Promise<unknown>;
}

export type FetchLike = (url: string, init?: FetchInit) => Promise<FetchResponseLike>;

/**
 * Whether an answer is a redirect, which this package never follows (a redirect would send visitor
 * ids and context to a host nobody configured): a 3xx other than 304, or the opaque answer a
 * browser's fetch gives for `redirect: "manual"`.
 */
export function isRedirect(res: FetchResponseLike): boolean {
  const status = res.status;
  return (status >= 300 && status < 400 && status !== 304) || (res as { type?: unknown }).type === "opaqueredirect";
}
