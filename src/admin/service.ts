/**
 * The Admin API domain behind the store port: runs each operation in one tenant transaction
 * (creating the tenant on first use), and tells listeners (the publisher) which tenant changed
 * after a write committed. HTTP (./http) and the Batch API (./batch) call it; nothing else writes.
 */
import type { PublishedArtifact, TenantSnapshot } from "./model";
import type { ArtifactRecords, PublishingData } from "../publish/publisher";
import type { Ctx, Result } from "./activities";
import type { AdminStore, AdminTransaction, StoredDocument } from "./store";
import { checkTenant, ensureTenant } from "./tenant";

export interface AdminServiceOptions {
  store: AdminStore;
  /** Clock (ms); default Date.now. */
  now?: () => number;
}

export type ChangeListener = (tenant: string) => void;

export interface AdminService extends PublishingData {
  readonly store: AdminStore;
  /** Runs `operation` atomically for `tenant`; `write` operations notify change listeners after commit. */
  run(tenant: string, version: number, write: boolean, operation: (ctx: Ctx) => Promise<Result>): Promise<Result>;
  /** Everything the artifact compiler needs from a tenant, read in one transaction. */
  snapshot(tenant: string): Promise<TenantSnapshot>;
  onChange(listener: ChangeListener): () => void;
  now(): number;
  /** Whether the tenant has at least one activity (read only; creates nothing). */
  hasActivities(tenant: string): Promise<boolean>;
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
    artifacts(tenant, work) {
      return store.transaction(tenant, (tx) => work(artifactRecords(tx)));
    },
    hasActivities(tenant) {
      return store.transaction(tenant, async (tx) => (await tx.list("activity")).length > 0);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The published artifacts of a tenant as documents of kind "artifact". */
function artifactRecords(tx: AdminTransaction): ArtifactRecords {
  return {
    list: async () => (await tx.list("artifact")) as unknown as PublishedArtifact[],
    get: async (key) => (await tx.get("artifact", key)) as unknown as PublishedArtifact | undefined,
    put: (key, artifact) => tx.put("artifact", key, artifact as unknown as StoredDocument),
    remove: (key) => tx.remove("artifact", key),
  };
}
