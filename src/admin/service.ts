/**
 * The Admin API domain behind the store port: runs each operation in one tenant transaction
 * (creating the tenant on first use), and tells listeners (the publisher) which tenant changed
 * after a write committed. HTTP (./http) and the Batch API (./batch) call it; nothing else writes.
 */
import type { TenantSnapshot } from "./model";
import type { Ctx, Result } from "./activities";
import type { AdminStore, StoredDocument } from "./store";
import { checkTenant, ensureTenant } from "./tenant";

export interface AdminServiceOptions {
  store: AdminStore;
  /** Clock (ms); default Date.now. */
  now?: () => number;
}

export type ChangeListener = (tenant: string) => void;

export interface AdminService {
  readonly store: AdminStore;
  /** Runs `operation` atomically for `tenant`; `write` operations notify change listeners after commit. */
  run(tenant: string, version: number, write: boolean, operation: (ctx: Ctx) => Promise<Result>): Promise<Result>;
  /** Everything the artifact compiler needs from a tenant, read in one transaction. */
  snapshot(tenant: string): Promise<TenantSnapshot>;
  onChange(listener: ChangeListener): () => void;
  now(): number;
}

export function createAdminService(options: AdminServiceOptions): AdminService {
  const { store } = options;
  const clock = options.now ?? Date.now;
  const listeners = new Set<ChangeListener>();

  return {
    store,
    now: clock,
    async run(tenant, version, write, operation) {
      checkTenant(tenant);
      let created = false;
      const result = await store.transaction(tenant, async (tx) => {
        const now = new Date(clock()).toISOString();
        created = await ensureTenant(tx, now);
        return operation({ tx, now, version });
      });
      if (write || created) for (const listener of listeners) listener(tenant);
      return result;
    },
    async snapshot(tenant) {
      checkTenant(tenant);
      return store.transaction(tenant, async (tx) => {
        await ensureTenant(tx, new Date(clock()).toISOString());
        const list = async <T>(kind: Parameters<typeof tx.list>[0]) => (await tx.list(kind)) as StoredDocument[] as unknown as T[];
        return {
          tenant,
          activities: await list("activity"),
          audiences: await list("audience"),
          offers: await list("offer"),
          environments: await list("environment"),
          properties: await list("property"),
          responseTokens: await list("responseToken"),
        };
      });
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
