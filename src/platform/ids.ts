/**
 * Identifier helpers. Target renders every generated id (request ids, session ids, notification ids)
 * as a random v4 UUID in 32 lower-case hex characters without dashes.
 */

interface CryptoLike {
  getRandomValues?: <T extends ArrayBufferView>(array: T) => T;
}

const HEX = "0123456789abcdef";

const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 0x0f]!);
const POOL_SIZE = 4096;
let pool: Uint8Array | undefined;
let poolOffset = POOL_SIZE;

/**
 * A random v4 UUID as 32 lower-case hex characters (no dashes). Random bytes come from the
 * platform CSPRNG in 4 KiB chunks, so one id costs a table lookup per byte rather than a syscall.
 */
export function randomId(): string {
  const c = (globalThis as { crypto?: CryptoLike }).crypto;
  if (c && typeof c.getRandomValues === "function") {
    if (poolOffset + 16 > POOL_SIZE || !pool) {
      pool ??= new Uint8Array(POOL_SIZE);
      c.getRandomValues(pool);
      poolOffset = 0;
    }
    const b = pool;
    const o = poolOffset;
    poolOffset += 16;
    return (
      BYTE_HEX[b[o]!]! + BYTE_HEX[b[o + 1]!]! + BYTE_HEX[b[o + 2]!]! + BYTE_HEX[b[o + 3]!]! +
      BYTE_HEX[b[o + 4]!]! + BYTE_HEX[b[o + 5]!]! +
      BYTE_HEX[(b[o + 6]! & 0x0f) | 0x40]! + BYTE_HEX[b[o + 7]!]! +
      BYTE_HEX[(b[o + 8]! & 0x3f) | 0x80]! + BYTE_HEX[b[o + 9]!]! +
      BYTE_HEX[b[o + 10]!]! + BYTE_HEX[b[o + 11]!]! + BYTE_HEX[b[o + 12]!]! + BYTE_HEX[b[o + 13]!]! +
      BYTE_HEX[b[o + 14]!]! + BYTE_HEX[b[o + 15]!]!
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
