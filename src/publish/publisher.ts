/**
 * Publishing: compiles a tenant's artifacts (one per environment, and per environment and property
 * token) after every change — debounced, at most `debounceMs` after the first change of a burst —
 * and on demand, and stores each with its content hash. An artifact whose content did not change
 * is not rewritten, so it keeps its hash (the ETag clients revalidate with) and its generatedAt.
 */
import { createHash } from "node:crypto";
import { encodeRulesBin } from "../artifact/rules-bin";
import { DecisioningError } from "../errors";
import { LruCache } from "../primitives/lru";
import { compileArtifact } from "./compiler/compile";
import type { PublishedArtifact, TenantSnapshot } from "./compiler/model";

export const DEFAULT_PUBLISH_DEBOUNCE_MS = 200;
const CACHE_ENTRIES = 512;

export interface PublisherLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** The stored artifacts of one tenant, inside one transaction, by key `<environment>|<token>`. */
export interface ArtifactRecords {
  list(): Promise<PublishedArtifact[]>;
  get(key: string): Promise<PublishedArtifact | undefined>;
  put(key: string, artifact: PublishedArtifact): Promise<void>;
  remove(key: string): Promise<boolean>;
}

/** What publishing needs from the authored data (the Admin API's service implements it). */
export interface PublishingData {
  /** Everything the compiler needs from a tenant, read consistently. */
  snapshot(tenant: string): Promise<TenantSnapshot>;
  now(): number;
  /** Called with the tenant after every committed change. */
  onChange(listener: (tenant: string) => void): () => void;
  /** Runs `work` on the tenant's stored artifacts atomically; never creates a tenant. */
  artifacts<T>(tenant: string, work: (records: ArtifactRecords) => Promise<T>): Promise<T>;
}

export interface PublisherOptions {
  data: PublishingData;
  /** Organization id written into meta and used to encode rules.bin; default `<TENANT>@AdobeOrg`. */
  organizationIdFor?: (tenant: string) => string;
  /** ≤ 1000 ms; default 200. */
  debounceMs?: number;
  logger?: PublisherLogger;
}

export interface PublishReport {
  tenant: string;
  artifacts: { environment: string; propertyToken: string; hash: string; changed: boolean }[];
  ms: number;
}

export interface Publisher {
  /** Publishes after the debounce delay (called on every change). */
  schedule(tenant: string): void;
  /** Publishes now (after any publish of this tenant in progress). */
  publish(tenant: string): Promise<PublishReport>;
  /** The published artifact, or undefined (unknown tenant, environment or token). Never creates a tenant. */
  artifact(tenant: string, environment: string, propertyToken?: string): Promise<PublishedArtifact | undefined>;
  /** Resolves when no publish is scheduled or running. */
  idle(): Promise<void>;
  onPublished(listener: (report: PublishReport) => void): () => void;
  close(): Promise<void>;
}

export const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const artifactKey = (environment: string, token: string) => `${environment.toLowerCase()}|${token}`;

export function defaultOrganizationId(tenant: string): string {
  return `${tenant.toUpperCase()}@AdobeOrg`;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { data } = options;
  const debounceMs = Math.min(1000, Math.max(0, options.debounceMs ?? DEFAULT_PUBLISH_DEBOUNCE_MS));
  const organizationIdFor = options.organizationIdFor ?? defaultOrganizationId;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const running = new Map<string, Promise<PublishReport>>();
  const cache = new LruCache<string, PublishedArtifact | null>(CACHE_ENTRIES);
  const listeners = new Set<(report: PublishReport) => void>();
  let closed = false;

  async function publishNow(tenant: string): Promise<PublishReport> {
    const started = performance.now();
    const snapshot = await data.snapshot(tenant);
    const now = data.now();
    const targets = publishTargets(snapshot);
    const built = targets.map((t) => buildArtifact(snapshot, t.environment, t.propertyToken, now, organizationIdFor(tenant)));
    const effective = await storeArtifacts(data, tenant, built, (key) => cache.set(`${tenant}|${key}`, null));
    for (const { artifact: a } of effective) cache.set(`${tenant}|${artifactKey(a.environment, a.propertyToken)}`, a);
    const report = effective.map(({ artifact: a, changed }) => ({ environment: a.environment, propertyToken: a.propertyToken, hash: a.hash, changed }));
    const result = { tenant, artifacts: report, ms: Math.round((performance.now() - started) * 100) / 100 };
    const changed = report.filter((a) => a.changed).length;
    options.logger?.info({ tenant, artifacts: report.length, changed, ms: result.ms }, "artifacts published");
    for (const listener of listeners) listener(result);
    return result;
  }

  function publish(tenant: string): Promise<PublishReport> {
    const previous = running.get(tenant) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => publishNow(tenant));
    const tracked = next.finally(() => {
      if (running.get(tenant) === tracked) running.delete(tenant);
    });
    // The caller handles `next`; the tracking copy must not become an unhandled rejection.
    tracked.catch(() => undefined);
    running.set(tenant, tracked);
    return next;
  }

  function schedule(tenant: string): void {
    if (closed || timers.has(tenant)) return;
    const timer = setTimeout(() => {
      timers.delete(tenant);
      publish(tenant).catch((err: unknown) => {
        const error = new DecisioningError("ODE_ERR_PUBLISH_FAILED", `Publishing ${tenant} failed`, { cause: err });
        options.logger?.error({ err: error, cause: err instanceof Error ? err.message : String(err), tenant }, "publishing failed");
      });
    }, debounceMs);
    timer.unref?.();
    timers.set(tenant, timer);
  }

  async function artifact(tenant: string, environment: string, propertyToken = ""): Promise<PublishedArtifact | undefined> {
    const cacheKey = `${tenant}|${artifactKey(environment, propertyToken)}`;
    const cached = cache.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    const found = await data.artifacts(tenant, (records) => records.get(artifactKey(environment, propertyToken)));
    cache.set(cacheKey, found ?? null);
    return found;
  }

  const unsubscribe = data.onChange(schedule);
  return {
    schedule,
    publish,
    artifact,
    async idle() {
      while (timers.size > 0 || running.size > 0) {
        await Promise.allSettled([...running.values()]);
        if (timers.size > 0) await new Promise((r) => setTimeout(r, debounceMs + 5));
      }
    },
    onPublished(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      unsubscribe();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running.values()]);
    },
  };
}

/**
 * Writes the artifacts whose content changed, keeps the others (their hash is their ETag), and
 * deletes those of environments or properties that no longer exist. One transaction.
 */
async function storeArtifacts(data: PublishingData, tenant: string, built: PublishedArtifact[], forget: (key: string) => void): Promise<{ artifact: PublishedArtifact; changed: boolean }[]> {
  return data.artifacts(tenant, async (tx) => {
    const stored = new Map((await tx.list()).map((a) => [artifactKey(a.environment, a.propertyToken), a]));
    const out: { artifact: PublishedArtifact; changed: boolean }[] = [];
    for (const artifact of built) {
      const key = artifactKey(artifact.environment, artifact.propertyToken);
      const previous = stored.get(key);
      stored.delete(key);
      const changed = previous?.contentHash !== artifact.contentHash;
      if (changed) await tx.put(key, artifact);
      out.push({ artifact: changed || !previous ? artifact : previous, changed });
    }
    for (const key of stored.keys()) {
      await tx.remove(key);
      forget(key);
    }
    return out;
  });
}

/** Every (environment, property token) pair a tenant publishes; "" = no token. */
export function publishTargets(snapshot: TenantSnapshot): { environment: string; propertyToken: string }[] {
  const tokens = ["", ...snapshot.properties.map((p) => p.token)];
  return snapshot.environments.flatMap((e) => tokens.map((propertyToken) => ({ environment: e.name, propertyToken })));
}

/** Compiles one artifact and derives what is stored: JSON text, hashes, deterministic rules.bin. */
export function buildArtifact(snapshot: TenantSnapshot, environment: string, propertyToken: string, now: number, organizationId: string): PublishedArtifact {
  const options = { environment, organizationId, now, ...(propertyToken ? { propertyToken } : {}) };
  const content = compileArtifact(snapshot, options);
  const contentHash = sha256(JSON.stringify(content));
  const generatedAt = new Date(now).toISOString();
  content.meta = { ...content.meta, generatedAt };
  const json = JSON.stringify(content);
  // The rules.bin key comes from the content hash, so an unchanged artifact encodes to the same bytes.
  const bin = encodeRulesBin(json, organizationId, contentHash.slice(0, 32));
  return { environment, propertyToken, json, hash: sha256(json), contentHash, bin: Buffer.from(bin).toString("base64"), binHash: sha256(bin), generatedAt };
}
