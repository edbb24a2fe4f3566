import murmur from "murmurhash3js-revisited";
import type { VisitorId } from "../protocol/delivery";

/**
 * Target's bucketing: MurmurHash3 x86 32-bit (seed 0) over the UTF-16LE bytes of
 * `<client>.<activityId>.<visitorId>.0`, as a signed integer; allocation = (|h| mod 10000) / 100.
 */

const TOTAL_BUCKETS = 10000;
const CAMPAIGN_SALT = "0";

// A scratch buffer reused across calls (the engine is synchronous, so there is no reentrancy).
let scratch = new Uint8Array(256);

/** Signed MurmurHash3 of the string's UTF-16 code units (Guava's hashUnencodedChars). */
export function hashUnencodedChars(value: string): number {
  const byteLength = value.length * 2;
  if (scratch.length < byteLength) scratch = new Uint8Array(Math.max(byteLength, scratch.length * 2));
  for (let i = 0, j = 0; i < value.length; i++, j += 2) {
    const unit = value.charCodeAt(i);
    scratch[j] = unit & 0xff;
    scratch[j + 1] = unit >>> 8;
  }
  const unsigned = murmur.x86.hash32(scratch.subarray(0, byteLength), 0) as number;
  return unsigned | 0;
}

/** Allocation in [0, 99.99] with two decimals, computed exactly as the reference does. */
export function allocationForDeviceId(deviceId: string): number {
  const bucket = Math.abs(hashUnencodedChars(deviceId)) % TOTAL_BUCKETS;
  return Math.round((bucket / TOTAL_BUCKETS) * 100 * 100) / 100;
}

export function computeAllocation(client: string, activityId: unknown, visitorId: string): number {
  return allocationForDeviceId(`${client}.${String(activityId)}.${visitorId}.${CAMPAIGN_SALT}`);
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
    const cut = tnt.split(".")[0];
    if (cut) return cut;
  }
  const third = id.thirdPartyId;
  if (third) return typeof third === "string" ? third : randomId();
  return randomId();
}
