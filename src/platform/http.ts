/**
 * The HTTP port: a subset of WHATWG fetch, so `globalThis.fetch`, `undici.fetch` and edge runtimes'
 * fetch all fit as they are. Every HTTP call the client makes goes through one FetchLike.
 */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
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
