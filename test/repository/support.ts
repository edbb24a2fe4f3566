/**
 * Test support for the repository: a real `odd serve` service (startService, 127.0.0.1, port 0)
 * with the repository on a given store, and a small HTTP client speaking the XCore media types.
 */
import { resolveServerConfig, startService, type Service } from "../../src/server/index";
import type { RepositoryConfig } from "../../src/repository/config";
import { DEFAULT_XCORE_PREFIX } from "../../src/repository/http/plugin";
import { createLogger } from "../../src/server/logging";

export const TOKEN = "test-token-0123456789";
export const XCORE = "application/vnd.adobe.platform.xcore";
export const OM = "https://ns.adobe.com/experience/offer-management";
export const CONTAINER_SCHEMA = "https://ns.adobe.com/experience/xcore/container";
export const hal = (schema: string) => `${XCORE}.hal+json; schema="${schema}"`;
export const PATCH_TYPE = `${XCORE}.patch.hal+json`;

export interface Harness {
  service: Service;
  base: string;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  token?: string | null;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function startHarness(store: string, overrides: Partial<RepositoryConfig> = {}, apiToken: string | undefined = TOKEN): Promise<Harness> {
  const config = resolveServerConfig({ port: "0", host: "127.0.0.1", "log-level": "silent" }, {});
  const repository: RepositoryConfig = {
    store,
    deleteMode: "sync",
    deletePendingPolls: 0,
    schemas: [],
    mount: DEFAULT_XCORE_PREFIX,
    ...overrides,
  };
  const service = await startService(config, {
    logger: createLogger("silent"),
    repository: { config: repository, auth: { apiToken, insecureNoAuth: false } },
  });
  const base = `${service.url}${repository.mount}`;
  return {
    service,
    base,
    call: (method, path, options = {}) => call(base, method, path, options),
    close: () => service.close(),
  };
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== null) headers.authorization ??= `Bearer ${options.token ?? TOKEN}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= options.contentType ?? "application/json";
  }
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Creates container c1 the way the docs do; returns its id. */
export async function createContainer(h: Harness, name = "c1", productContexts = ["acp"]): Promise<string> {
  const reply = await h.call("POST", "/containers", {
    body: { productContexts, _instance: { "repo:name": name }, _links: {} },
    contentType: hal(CONTAINER_SCHEMA),
  });
  if (reply.status !== 201) throw new Error(`container create failed: ${reply.status} ${reply.text}`);
  return reply.body.instanceId as string;
}

/** Creates an instance; returns the receipt (throws unless 201). */
export async function create(h: Harness, container: string, schemaName: string, instance: Record<string, unknown>): Promise<any> {
  const reply = await h.call("POST", `/${container}/instances`, {
    body: { _instance: instance, _links: {} },
    contentType: hal(`${OM}/${schemaName}`),
  });
  if (reply.status !== 201) throw new Error(`create ${schemaName} failed: ${reply.status} ${reply.text}`);
  return reply.body;
}

export const TEXT_COMPONENT = `${OM}/content-component-text`;
export const HTML_COMPONENT = `${OM}/content-component-html`;

export function offer(name: string, placement: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "xdm:name": name,
    "xdm:status": "approved",
    "xdm:representations": [
      { "xdm:placement": placement, "xdm:components": [{ "@type": TEXT_COMPONENT, "dc:format": "text/plain", "xdm:copyline": name }] },
    ],
    "xdm:rank": { "xdm:priority": 1 },
    ...extra,
  };
}

export const placement = (name: string) => ({
  "xdm:name": name,
  "xdm:channel": "https://ns.adobe.com/xdm/channels/web",
  "xdm:componentType": TEXT_COMPONENT,
  "xdm:contentTypes": ["text/plain"],
});
