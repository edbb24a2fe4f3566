/**
 * What waits to be sent: notifications grouped by batch key, and the batches sealed from them.
 * Pure state with no timers, no sending and no logging (it reports through its hooks).
 *
 * - Groups: one per batch key (a Delivery request carries one visitor), in arrival order (a Map
 *   iterates in insertion order: the first group is the oldest).
 * - Sealed batches: a FIFO with a moving head (no O(n) shift), each numbered in sealing order so
 *   that flush() can wait for everything sealed before it.
 * - Accounting: `queued` notifications and `queuedBytes` estimated heap bytes of everything waiting
 *   (groups and sealed batches); both return to 0 once everything is taken.
 * - Capacity: beyond `maxQueued` or `maxQueuedBytes` the oldest notification is dropped (sealed
 *   batches first, then groups in arrival order).
 */
import type { DecisioningError } from "../../errors";
import type { Notification } from "../../protocol/delivery";
import { estimateBytes } from "./estimate";
import type {
  NotificationQueueItem,
  QueuedNotificationBatch,
  QueuedRequestParts,
  SpooledBatch,
  TelemetryOnlyItem,
} from "./types";
import type { ItemWaiters } from "./waiters";

export interface BufferLimits {
  /** Max notifications per batch. */
  batchSize: number;
  /** Max notifications waiting. */
  maxQueued: number;
  /** Max estimated heap bytes waiting. */
  maxQueuedBytes: number;
}

export interface BufferHooks {
  /** An item was refused because its request parts cannot be serialised into a batch key. */
  onUnserialisable(err: unknown): void;
  /** A notification was dropped at capacity (`dropped` so far; which bound was exceeded). */
  onDropped(dropped: number, reason: "count" | "bytes"): void;
}

/** A batch ready to be sent. */
export interface SealedBatch extends QueuedNotificationBatch {
  /** Position in sealing order. */
  seq: number;
  /** Estimated heap bytes (the first batch of a group also counts the group's request parts). */
  bytes: number;
  waiters?: ItemWaiters;
  /** Set when the batch was given up on. */
  error?: DecisioningError;
  /** Loaded from the spool of an earlier run. */
  fromSpool?: boolean;
}

/** Notifications of one batch key not sealed yet. */
export interface BatchGroup extends QueuedNotificationBatch {
  /** A telemetry-only item asked for a request even without notifications. */
  wantsRequest: boolean;
  /** Estimated bytes of the request parts and the notifications. */
  bytes: number;
  partsBytes: number;
  waiters?: ItemWaiters;
  /** Makes the second part of the key (NotificationQueueItem.batchContextKey); kept in contextKey once made. */
  makeContextKey?: () => string;
  contextKey?: string;
}

/** A group's own cost besides its request parts: the group, its map entry, its sealed batch. */
const GROUP_OVERHEAD = 600;

/**
 * What may share a request: the item's own `batchKey`, else the JSON of session id, id, context,
 * experienceCloud and property. Throws when the parts cannot be serialised.
 */
export function batchKeyOf(item: TelemetryOnlyItem): string {
  const parts = item.request ?? {};
  return (
    (item as NotificationQueueItem).batchKey ??
    JSON.stringify([
      item.sessionId ?? null,
      parts.id ?? null,
      parts.context ?? null,
      parts.experienceCloud ?? null,
      parts.property ?? null,
    ])
  );
}

export class NotificationBuffer {
  readonly #limits: BufferLimits;
  readonly #hooks: BufferHooks;
  readonly #groups = new Map<string, BatchGroup>();
  #ready: SealedBatch[] = [];
  #head = 0;
  /** Sealed batches before this index are empty: dropping never rescans them. */
  #dropCursor = 0;
  #nextSeq = 1;
  #queued = 0;
  #queuedBytes = 0;
  #dropped = 0;
  /** The latest telemetry-only item: the visitor of a request for the telemetry alone. */
  #telemetryCarrier: TelemetryOnlyItem | undefined;

  constructor(limits: BufferLimits, hooks: BufferHooks) {
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /** Notifications waiting (grouped or sealed). */
  get queued(): number {
    return this.#queued;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Notifications dropped at capacity since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Groups not sealed yet. */
  get groupCount(): number {
    return this.#groups.size;
  }

  /** Sealed batches not taken yet. */
  get sealedCount(): number {
    return this.#ready.length - this.#head;
  }

  /** The sequence number the next sealed batch gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The sequence number of the oldest sealed batch not taken, else the next one. */
  oldestSealedSeq(): number {
    return this.#head < this.#ready.length ? this.#ready[this.#head]!.seq : this.#nextSeq;
  }

  /** The group of the item's batch key, created when new; undefined when its key cannot be made. */
  groupFor(item: TelemetryOnlyItem): BatchGroup | undefined {
    let key: string;
    let group: BatchGroup | undefined;
    try {
      key = batchKeyOf(item);
      group = this.#groups.get(key);
      if (group && item.batchContextKey) {
        // Same visitor: the same context too? Else the group of both parts.
        const contextKey = item.batchContextKey();
        if (contextKey !== contextKeyOf(group)) {
          key = `${key}\u0000${contextKey}`;
          group = this.#groups.get(key);
        }
      }
    } catch (err) {
      this.#hooks.onUnserialisable(err);
      return undefined;
    }
    if (!group) {
      group = newGroup(key, item);
      this.#groups.set(key, group);
      this.#queuedBytes += group.partsBytes;
    }
    return group;
  }

  append(group: BatchGroup, notifications: Notification[]): void {
    for (const n of notifications) {
      group.notifications.push(n);
      const bytes = estimateBytes(n);
      group.bytes += bytes;
      this.#queuedBytes += bytes;
    }
    this.#queued += notifications.length;
  }

  /** Remembers the item whose visitor carries the telemetry when the next sealing finds nothing else. */
  carryTelemetry(item: TelemetryOnlyItem): void {
    this.#telemetryCarrier = item;
  }

  /** Drops the oldest notifications while the buffer is beyond either bound. */
  enforceCapacity(): void {
    const { maxQueued, maxQueuedBytes } = this.#limits;
    while ((this.#queued > maxQueued || this.#queuedBytes > maxQueuedBytes) && this.dropOldest());
  }

  /**
   * Seals what should not wait for the flush timer, after `group` received notifications: every
   * group when `batchSize` groups wait (each visitor needs its own request, so the queue keeps pace
   * under load even when no timer gets a chance to fire), else the group's full batches.
   * Returns whether anything was sealed.
   */
  sealIfDue(group: BatchGroup): boolean {
    const { batchSize } = this.#limits;
    if (this.#groups.size >= batchSize) {
      this.sealAll();
      return true;
    }
    const count = group.notifications.length;
    if (count < batchSize || this.#groups.get(group.key) !== group) return false;
    this.seal(group, count - (count % batchSize));
    return true;
  }

  /** Seals every group; a telemetry carrier becomes a request when nothing else waits. */
  sealAll(): void {
    const carrier = this.#telemetryCarrier;
    this.#telemetryCarrier = undefined;
    if (carrier && this.#groups.size === 0 && this.sealedCount === 0) {
      const group = this.groupFor(carrier);
      if (group) group.wantsRequest = true;
    }
    for (const group of this.#groups.values()) this.seal(group, group.notifications.length);
  }

  /** Seals the group's first `count` notifications into batches of at most `batchSize`. */
  seal(group: BatchGroup, count: number): void {
    const { batchSize } = this.#limits;
    const all = count === group.notifications.length;
    const take = all ? group.notifications : group.notifications.slice(0, count);
    const rest = all ? [] : group.notifications.slice(count);
    const { key, request, sessionId } = group;
    const waiters = group.waiters;
    group.waiters = undefined;
    this.#queuedBytes -= group.bytes;
    for (let i = 0; i < take.length || (i === 0 && group.wantsRequest); i += batchSize) {
      const notifications = take.length <= batchSize ? take : take.slice(i, i + batchSize);
      let bytes = i === 0 ? group.partsBytes : 0;
      for (const n of notifications) bytes += estimateBytes(n);
      this.#queuedBytes += bytes;
      this.#ready.push({ key, request, sessionId, notifications, bytes, waiters, seq: this.#nextSeq++ });
      if (waiters) waiters.pending++;
    }
    if (waiters && waiters.pending === 0) waiters.settle();
    group.notifications = rest;
    group.wantsRequest = false;
    if (rest.length === 0) {
      this.#groups.delete(key);
      return;
    }
    group.bytes = group.partsBytes;
    for (const n of rest) group.bytes += estimateBytes(n);
    this.#queuedBytes += group.bytes;
  }

  /** Appends a batch saved by an earlier run (its notifications non-empty) to the sealed batches. */
  addSpooled(batch: SpooledBatch): void {
    const bytes = estimateBytes(batch);
    this.#ready.push({
      key: "",
      request: batch.request ?? {},
      sessionId: batch.sessionId,
      notifications: batch.notifications,
      bytes,
      fromSpool: true,
      seq: this.#nextSeq++,
    });
    this.#queued += batch.notifications.length;
    this.#queuedBytes += bytes;
  }

  /** Takes the oldest sealed batch (it no longer counts as queued). */
  takeNext(): SealedBatch | undefined {
    if (this.#head >= this.#ready.length) return undefined;
    const batch = this.#ready[this.#head]!;
    this.#ready[this.#head++] = undefined as unknown as SealedBatch;
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#dropCursor = Math.max(0, this.#dropCursor - this.#head);
      this.#head = 0;
    }
    this.#queued -= batch.notifications.length;
    this.#queuedBytes -= batch.bytes;
    return batch;
  }

  /** Drops the oldest waiting notification (sealed batches first, then groups in arrival order). */
  dropOldest(): boolean {
    const bytes = this.#dropFromSealed() ?? this.#dropFromGroups();
    if (bytes === undefined) return false;
    this.#queued--;
    this.#queuedBytes -= bytes;
    this.#dropped++;
    this.#hooks.onDropped(this.#dropped, this.#queued >= this.#limits.maxQueued ? "count" : "bytes");
    return true;
  }

  /** Bytes freed by dropping the first notification of the oldest non-empty sealed batch. */
  #dropFromSealed(): number | undefined {
    for (let i = Math.max(this.#head, this.#dropCursor); i < this.#ready.length; i++) {
      const batch = this.#ready[i]!;
      if (batch.notifications.length === 0) {
        this.#dropCursor = i + 1;
        continue;
      }
      const bytes = estimateBytes(batch.notifications[0]);
      batch.notifications = batch.notifications.slice(1);
      batch.bytes -= bytes;
      if (batch.waiters) batch.waiters.dropped++;
      return bytes;
    }
    return undefined;
  }

  /** Bytes freed by dropping the first notification of the oldest non-empty group (and the group once empty). */
  #dropFromGroups(): number | undefined {
    for (const group of this.#groups.values()) {
      if (group.notifications.length === 0) continue;
      let bytes = estimateBytes(group.notifications.shift());
      group.bytes -= bytes;
      if (group.waiters) group.waiters.dropped++;
      if (group.notifications.length === 0 && !group.wantsRequest) {
        this.#groups.delete(group.key);
        bytes += group.partsBytes;
        if (group.waiters) group.waiters.settle();
      }
      return bytes;
    }
    return undefined;
  }
}

/** The group's context key part, computed once; "" for a group keyed without one. */
function contextKeyOf(group: BatchGroup): string {
  group.contextKey ??= group.makeContextKey?.() ?? "";
  return group.contextKey;
}

function newGroup(key: string, item: TelemetryOnlyItem): BatchGroup {
  const parts = item.request ?? {};
  // The parts are the caller's own immutable snapshot (the client builds them per decision).
  const request: QueuedRequestParts = {
    id: parts.id,
    context: parts.context,
    experienceCloud: parts.experienceCloud,
  };
  if (parts.property !== undefined) request.property = parts.property;
  const partsBytes = estimateBytes(request) + 2 * key.length + (item.sessionId?.length ?? 0) + GROUP_OVERHEAD;
  return {
    key,
    request,
    sessionId: item.sessionId,
    notifications: [],
    wantsRequest: false,
    bytes: partsBytes,
    partsBytes,
    ...(item.batchContextKey ? { makeContextKey: item.batchContextKey } : {}),
  };
}
