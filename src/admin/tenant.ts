/**
 * Tenants and ids. A tenant is created on first use with one environment, `production`, and the
 * response tokens Target enables by default. Ids come from per-tenant counters stored with the
 * data (so they survive restarts and never repeat within a tenant).
 */
import { DEFAULT_RESPONSE_TOKENS } from "./model";
import { invalid } from "./errors";
import type { AdminTransaction, DocumentKind } from "./store";

const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
export const DEFAULT_ENVIRONMENT = "production";

export function checkTenant(tenant: string): string {
  if (!TENANT_RE.test(tenant)) {
    throw invalid("Request.Invalid", "The tenant must be 1-100 letters, digits, '_' or '-', starting with a letter or digit", { field: "tenant" });
  }
  return tenant;
}

/** The next id of a counter (one counter per kind of resource). */
export async function nextId(tx: AdminTransaction, counter: DocumentKind): Promise<number> {
  const current = ((await tx.get("sequence", counter))?.value as number | undefined) ?? 0;
  await tx.put("sequence", counter, { value: current + 1 });
  return current + 1;
}

/** Creates the tenant's defaults on first use; true when it was created now. */
export async function ensureTenant(tx: AdminTransaction, now: string): Promise<boolean> {
  if (await tx.get("tenant", "tenant")) return false;
  await tx.put("tenant", "tenant", { createdAt: now });
  const id = await nextId(tx, "environment");
  await tx.put("environment", String(id), { id, name: DEFAULT_ENVIRONMENT, createdAt: now });
  for (const name of DEFAULT_RESPONSE_TOKENS) await tx.put("responseToken", name, { name, status: "active", createdAt: now });
  return true;
}
