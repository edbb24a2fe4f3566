import type { FetchInit, FetchLike } from "../../src/platform/http";

export interface RecordedCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: any;
}

type Handler = (call: RecordedCall) => Response | Promise<Response>;

/**
 * A routing fake fetch returning real `Response` objects and recording every call. Routes are
 * "METHOD prefix" keys; the longest matching prefix wins. Unrouted calls answer 404.
 */
export function fakeFetch(routes: Record<string, Handler>): FetchLike & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fn = (async (url: string, init: FetchInit = {}) => {
    const method = (init.method ?? "GET").toUpperCase();
    let body: any = init.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // keep text
      }
    }
    const call: RecordedCall = { method, url, headers: { ...(init.headers ?? {}) }, body };
    calls.push(call);
    const key = Object.keys(routes)
      .filter((k) => {
        const [m, prefix] = k.split(" ");
        return m === method && url.startsWith(prefix!);
      })
      .sort((a, b) => b.length - a.length)[0];
    if (!key) return new Response("not found", { status: 404 });
    return routes[key]!(call);
  }) as unknown as FetchLike & { calls: RecordedCall[] };
  fn.calls = calls;
  return fn;
}

export const json = (value: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(value), { status: 200, headers: { "content-type": "application/json" }, ...init });
