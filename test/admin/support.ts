import Fastify, { type FastifyInstance } from "fastify";
import { randomUUID } from "node:crypto";
import { createAdminRuntime, registerAdminRoutes, type AdminRuntime } from "../../src/admin/index";
import { requireBearerToken } from "../../src/server/auth";
import type { AdminStore } from "../../src/admin/store";

export const TOKEN = "test-admin-token";
export const AUTH = { authorization: `Bearer ${TOKEN}` };
export const V1 = "application/vnd.adobe.target.v1+json";
export const V2 = "application/vnd.adobe.target.v2+json";
export const V3 = "application/vnd.adobe.target.v3+json";

export interface TestAdmin {
  app: FastifyInstance;
  admin: AdminRuntime;
  /** JSON request through inject; returns status, parsed body and headers. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function createTestAdmin(options: { store?: AdminStore; debounceMs?: number; logger?: { info(o: object, m: string): void; error(o: object, m: string): void } } = {}): Promise<TestAdmin> {
  const app = Fastify({ genReqId: () => randomUUID() });
  const admin = createAdminRuntime({ ...(options.store ? { store: options.store } : {}), publisher: { debounceMs: options.debounceMs ?? 10, ...(options.logger ? { logger: options.logger } : {}) } });
  await registerAdminRoutes(app, admin, { authenticate: requireBearerToken(TOKEN) });
  await app.ready();
  return {
    app,
    admin,
    async call(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as "GET",
        url,
        headers: { ...AUTH, ...(body !== undefined ? { "content-type": V3 } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      let parsed: unknown = response.body;
      try {
        parsed = response.body === "" ? undefined : JSON.parse(response.body);
      } catch {
        // not JSON
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async close() {
      await app.close();
      await admin.close();
    },
  };
}
