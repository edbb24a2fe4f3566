/**
 * Keeps the decision indexes of every container in step with the repository: one full read at
 * start, then the repository's change feed, polled (default every 200 ms, so nodes sharing one
 * database see each other's writes well within a second). Each change re-reads only the changed
 * instance and patches its container's index; decisions never read the store. A failing poll is
 * reported and retried; the indexes keep serving what they have.
 */
import type { CatalogInstance } from "./core/catalog";
import { DecisionIndex } from "./core/decision-index";
import type { IndexSource } from "./core/runtime";

export interface CatalogChange {
  seq: number;
  containerId: string;
  instanceId: string;
  kind: "create" | "update" | "delete";
}

/** What the sync needs from a repository (src/offers/adapters/repository-feed.ts maps the real one). */
export interface CatalogFeed {
  containerIds(): Promise<string[]>;
  /** Every offer-management instance of the container. */
  instances(containerId: string): Promise<CatalogInstance[]>;
  /** The current instance, or undefined when it no longer exists. */
  instance(containerId: string, instanceId: string): Promise<CatalogInstance | undefined>;
  /** Changes with a sequence number above `seq`, oldest first. */
  changesSince(seq: number, limit: number): Promise<CatalogChange[]>;
}

export interface CatalogSyncOptions {
  pollIntervalMs?: number;
  /** Changes read per query while catching up. */
  batchSize?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
  /** After each applied batch (tests and logs). */
  onApplied?: (changes: number, seq: number) => void;
}

export interface CatalogSync extends IndexSource {
  /** Loads every container, then starts following the change feed. */
  start(): Promise<void>;
  /** Applies all pending changes now (also what the timer does). */
  poll(): Promise<number>;
  stop(): void;
  readonly seq: number;
}

const CONTAINER_REFRESH_POLLS = 10;

// eslint-disable-next-line max-lines-per-function -- to be split into units by the offers branch
export function createCatalogSync(feed: CatalogFeed, options: CatalogSyncOptions = {}): CatalogSync {
  const indexes = new Map<string, DecisionIndex>();
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 1000;
  const interval = options.pollIntervalMs ?? 200;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let polling: Promise<number> | undefined;
  let polls = 0;

  const indexOf = (containerId: string): DecisionIndex => {
    let index = indexes.get(containerId);
    if (!index) indexes.set(containerId, (index = new DecisionIndex(containerId, now())));
    return index;
  };

  async function latestSeq(): Promise<number> {
    let last = 0;
    for (;;) {
      const page = await feed.changesSince(last, batchSize);
      if (page.length === 0) return last;
      last = page[page.length - 1]!.seq;
      if (page.length < batchSize) return last;
    }
  }

  async function apply(change: CatalogChange): Promise<void> {
    const index = indexOf(change.containerId);
    const current =
      change.kind === "delete" ? undefined : await feed.instance(change.containerId, change.instanceId);
    if (current) index.upsert(current, now());
    else index.remove(change.instanceId, now());
  }

  /** Containers without instances get an (empty) index too, so they answer 422, not 404. */
  async function refreshContainers(): Promise<void> {
    for (const containerId of await feed.containerIds()) indexOf(containerId);
  }

  async function drain(): Promise<number> {
    if (polls++ % CONTAINER_REFRESH_POLLS === 0) await refreshContainers();
    let applied = 0;
    for (;;) {
      const changes = await feed.changesSince(seq, batchSize);
      for (const change of changes) {
        await apply(change);
        seq = change.seq;
      }
      applied += changes.length;
      if (changes.length > 0) options.onApplied?.(changes.length, seq);
      if (changes.length < batchSize) return applied;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void sync
        .poll()
        .catch((err: unknown) => options.onError?.(err))
        .finally(schedule);
    }, interval);
    (timer as { unref?: () => void }).unref?.();
  }

  const sync: CatalogSync = {
    get: (containerId) => indexes.get(containerId),
    all: () => indexes.values(),
    get seq() {
      return seq;
    },
    async start() {
      // Read the feed position first: changes made during the full read are then applied again,
      // which is harmless (each re-reads the current instance).
      seq = await latestSeq();
      for (const containerId of await feed.containerIds()) {
        const snapshot = { containerId, instances: await feed.instances(containerId) };
        indexes.set(containerId, DecisionIndex.fromSnapshot(snapshot, now()));
      }
      schedule();
    },
    poll() {
      polling ??= drain().finally(() => (polling = undefined));
      return polling;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
  return sync;
}
