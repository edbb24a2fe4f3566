/**
 * Identifier helpers. Target renders every generated id (request ids, session ids, notification ids)
 * as a random v4 UUID in 32 lower-case hex characters without dashes.
 */

interface CryptoLike {
  getRandomValues?: <T extends ArrayBufferView>(array: T) => T;
}

const HEX = "0123456789abcdef";

/** Char codes of the high and low hex digit of every byte value. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HIGH[i] = HEX.charCodeAt(i >> 4);
  LOW[i] = HEX.charCodeAt(i & 0x0f);
}
const POOL_SIZE = 4096;
let pool: Uint8Array | undefined;
let poolOffset = POOL_SIZE;

/** Char codes of the high and low upper-case hex digit of every byte value. */
const UPPER_HIGH = new Uint8Array(256);
const UPPER_LOW = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  UPPER_HIGH[i] = HEX.toUpperCase().charCodeAt(i >> 4);
  UPPER_LOW[i] = HEX.toUpperCase().charCodeAt(i & 0x0f);
}
const DASH = 45;

/** The pool's next 16 random bytes (refilled from the CSPRNG in 4 KiB chunks); its offset in `pool`. */
function takeRandomBytes(c: Required<CryptoLike>): number {
  if (poolOffset + 16 > POOL_SIZE || !pool) {
    pool ??= new Uint8Array(POOL_SIZE);
    c.getRandomValues(pool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += 16;
  return offset;
}

/**
 * An Analytics supplemental data id: a random v4 UUID in upper case, its two 16-digit halves
 * joined by a dash (`randomId().toUpperCase()` split in two, built in one step).
 */
export function randomSupplementalDataId(): string {
  const c = (globalThis as { crypto?: CryptoLike }).crypto;
  if (!c || typeof c.getRandomValues !== "function") {
    const hex = randomId().toUpperCase();
    return `${hex.slice(0, 16)}-${hex.slice(16, 32)}`;
  }
  const o = takeRandomBytes(c as Required<CryptoLike>);
  const b = pool!;
  const v = (b[o + 6]! & 0x0f) | 0x40; // version 4
  const r = (b[o + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  const H = UPPER_HIGH;
  const L = UPPER_LOW;
  return String.fromCharCode(
    H[b[o]!]!, L[b[o]!]!, H[b[o + 1]!]!, L[b[o + 1]!]!, H[b[o + 2]!]!, L[b[o + 2]!]!,
    H[b[o + 3]!]!, L[b[o + 3]!]!, H[b[o + 4]!]!, L[b[o + 4]!]!, H[b[o + 5]!]!, L[b[o + 5]!]!,
    H[v]!, L[v]!, H[b[o + 7]!]!, L[b[o + 7]!]!, DASH, H[r]!, L[r]!, H[b[o + 9]!]!, L[b[o + 9]!]!,
    H[b[o + 10]!]!, L[b[o + 10]!]!, H[b[o + 11]!]!, L[b[o + 11]!]!, H[b[o + 12]!]!, L[b[o + 12]!]!,
    H[b[o + 13]!]!, L[b[o + 13]!]!, H[b[o + 14]!]!, L[b[o + 14]!]!, H[b[o + 15]!]!, L[b[o + 15]!]!,
  );
}

/**
 * A random v4 UUID as 32 lower-case hex characters (no dashes). Random bytes come from the
 * platform CSPRNG in 4 KiB chunks, so one id costs two table lookups per byte rather than a syscall.
 */
export function randomId(): string {
  const c = (globalThis as { crypto?: CryptoLike }).crypto;
  if (c && typeof c.getRandomValues === "function") {
    const o = takeRandomBytes(c as Required<CryptoLike>);
    const b = pool!;
    const v = (b[o + 6]! & 0x0f) | 0x40; // version 4
    const r = (b[o + 8]! & 0x3f) | 0x80; // RFC 4122 variant
    // One flat string from 32 char codes (a chain of concatenations would allocate 15 ropes).
    return String.fromCharCode(
      HIGH[b[o]!]!, LOW[b[o]!]!, HIGH[b[o + 1]!]!, LOW[b[o + 1]!]!, HIGH[b[o + 2]!]!, LOW[b[o + 2]!]!,
      HIGH[b[o + 3]!]!, LOW[b[o + 3]!]!, HIGH[b[o + 4]!]!, LOW[b[o + 4]!]!, HIGH[b[o + 5]!]!, LOW[b[o + 5]!]!,
      HIGH[v]!, LOW[v]!, HIGH[b[o + 7]!]!, LOW[b[o + 7]!]!, HIGH[r]!, LOW[r]!, HIGH[b[o + 9]!]!, LOW[b[o + 9]!]!,
      HIGH[b[o + 10]!]!, LOW[b[o + 10]!]!, HIGH[b[o + 11]!]!, LOW[b[o + 11]!]!, HIGH[b[o + 12]!]!, LOW[b[o + 12]!]!,
      HIGH[b[o + 13]!]!, LOW[b[o + 13]!]!, HIGH[b[o + 14]!]!, LOW[b[o + 14]!]!, HIGH[b[o + 15]!]!, LOW[b[o + 15]!]!,
    );
  }
  // No CSPRNG on this runtime: Math.random (ids are identifiers, not secrets).
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 0x0f]!;
  return out;
}
