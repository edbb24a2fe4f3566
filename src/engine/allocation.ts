import type { VisitorId } from "../protocol/delivery";

/**
 * Target's bucketing: MurmurHash3 x86 32-bit (seed 0) over the UTF-16LE bytes of
 * `<client>.<activityId>.<visitorId>.0`, as a signed integer; allocation = (|h| mod 10000) / 100.
 *
 * The hash is computed here straight from the string's UTF-16 code units: two code units are one
 * little-endian 32-bit block, a last odd code unit is the 2-byte tail. That is exactly
 * `murmurhash3js-revisited`'s `x86.hash32` over the UTF-16LE bytes (the library stays the oracle:
 * test/engine/allocation-hash.test.ts compares both on millions of random strings), without
 * building a byte array per call.
 */

const TOTAL_BUCKETS = 10000;
const CAMPAIGN_SALT_SUFFIX = ".0";

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One mixed 32-bit block (`k1` in the reference algorithm). */
function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function absorb(h: number, block: number): number {
  h ^= scramble(block);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, pending: number, units: number): number {
  if (pending >= 0) h ^= scramble(pending);
  h ^= units * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Signed MurmurHash3 of the string's UTF-16 code units (Guava's hashUnencodedChars). */
export function hashUnencodedChars(value: string): number {
  const n = value.length;
  let h = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) h = absorb(h, value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16));
  return finish(h, i < n ? value.charCodeAt(i) : -1, n);
}

/**
 * The hash of `a + b + c` without concatenating them: the state carries a pending low code unit
 * across part boundaries (a part of odd length shifts the block alignment of the next one).
 */
export function hashUnencodedParts(a: string, b: string, c: string): number {
  state = 0;
  pending = -1;
  feed(a);
  feed(b);
  feed(c);
  return finish(state, pending, a.length + b.length + c.length);
}

// The streaming state of hashUnencodedParts (the engine is synchronous: no reentrancy).
let state = 0;
let pending = -1;

function feed(part: string): void {
  const n = part.length;
  let h = state;
  let i = 0;
  if (pending >= 0 && n > 0) {
    h = absorb(h, pending | (part.charCodeAt(0) << 16));
    pending = -1;
    i = 1;
  }
  for (; i + 1 < n; i += 2) h = absorb(h, part.charCodeAt(i) | (part.charCodeAt(i + 1) << 16));
  if (i < n) pending = part.charCodeAt(i);
  state = h;
}

function allocationOfHash(hash: number): number {
  const bucket = Math.abs(hash) % TOTAL_BUCKETS;
  return Math.round((bucket / TOTAL_BUCKETS) * 100 * 100) / 100;
}

/** Allocation in [0, 99.99] with two decimals, computed exactly as the reference does. */
export function allocationForDeviceId(deviceId: string): number {
  return allocationOfHash(hashUnencodedChars(deviceId));
}

/**
 * The hash state after the constant start of an activity's allocation input,
 * `<client>.<activityId>.`: computed once per activity, so that a decision hashes only the visitor
 * id and the salt.
 */
export interface AllocationPrefix {
  readonly state: number;
  readonly pending: number;
  readonly length: number;
}

export function allocationPrefix(client: string, activityId: unknown): AllocationPrefix {
  const text = `${client}.${String(activityId)}.`;
  state = 0;
  pending = -1;
  feed(text);
  return { state, pending, length: text.length };
}

/** Allocation of a visitor in the activity whose {@link allocationPrefix} is given. */
export function allocationWithPrefix(prefix: AllocationPrefix, visitorId: string): number {
  state = prefix.state;
  pending = prefix.pending;
  feed(visitorId);
  feed(CAMPAIGN_SALT_SUFFIX);
  return allocationOfHash(finish(state, pending, prefix.length + visitorId.length + CAMPAIGN_SALT_SUFFIX.length));
}

export function computeAllocation(client: string, activityId: unknown, visitorId: string): number {
  return allocationWithPrefix(allocationPrefix(client, activityId), visitorId);
}

/**
 * The visitor id string used for allocation (docs/target-behaviour.md#allocation): MCID, else tntId cut at the first ".",
 * else thirdPartyId verbatim, else a random id for this call only. Non-string or empty values are
 * skipped exactly as the reference's truthiness checks do.
 */
export function visitorIdForAllocation(id: VisitorId | undefined, randomId: () => string): string {
  if (!id) return randomId();
  const mcid = id.marketingCloudVisitorId;
  if (mcid) return typeof mcid === "string" ? mcid : randomId();
  const tnt = id.tntId;
  if (typeof tnt === "string" && tnt !== "") {
    const dot = tnt.indexOf(".");
    if (dot !== 0) return dot === -1 ? tnt : tnt.slice(0, dot);
  }
  const third = id.thirdPartyId;
  if (third) return typeof third === "string" ? third : randomId();
  return randomId();
}
