import murmur from "murmurhash3js-revisited";
import { describe, expect, it } from "vitest";
import {
  allocationForDeviceId,
  computeAllocation,
  hashUnencodedChars,
  hashUnencodedParts,
} from "../../src/engine/allocation";

/**
 * The engine hashes UTF-16 code units directly; murmurhash3js-revisited over the UTF-16LE bytes is
 * the oracle. Random strings of every kind: ASCII, BMP, astral (surrogate pairs), lone surrogates,
 * the empty string, odd and even lengths, split into parts at every kind of boundary.
 */

function oracle(value: string): number {
  const bytes = new Uint8Array(value.length * 2);
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >>> 8;
  }
  return murmur.x86.hash32(bytes, 0) | 0;
}

function oracleAllocation(value: string): number {
  const bucket = Math.abs(oracle(value)) % 10000;
  return Math.round((bucket / 10000) * 100 * 100) / 100;
}

/** A small deterministic PRNG (mulberry32), so a failure can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = "ascii" | "bmp" | "astral" | "lone" | "mixed";
const KINDS: Kind[] = ["ascii", "bmp", "astral", "lone", "mixed"];

function randomString(rnd: () => number, kind: Kind, maxLength: number): string {
  const length = Math.floor(rnd() * (maxLength + 1));
  let out = "";
  while (out.length < length) {
    const k = kind === "mixed" ? KINDS[Math.floor(rnd() * 4)]! : kind;
    if (k === "ascii") out += String.fromCharCode(32 + Math.floor(rnd() * 95));
    else if (k === "bmp") out += String.fromCharCode(Math.floor(rnd() * 0x10000));
    else if (k === "astral") out += String.fromCodePoint(0x10000 + Math.floor(rnd() * 0x100000));
    else out += String.fromCharCode(0xd800 + Math.floor(rnd() * 0x800)); // a lone high or low surrogate
  }
  return out;
}

describe("hash fast path against murmurhash3js-revisited", () => {
  it("is identical on the empty string and short edge cases", () => {
    for (const s of ["", "a", "ab", "abc", "\ud800", "\udfff", "😀", "a😀", "\u0000", "\uffff\uffff\uffff"]) {
      expect(hashUnencodedChars(s)).toBe(oracle(s));
      expect(hashUnencodedParts(s, "", "")).toBe(oracle(s));
      expect(hashUnencodedParts("", s, ".0")).toBe(oracle(`${s}.0`));
    }
  });

  it("is identical on 1,000,000 random strings of every kind (whole and in three parts)", () => {
    const rnd = prng(0x5eed16);
    let checked = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const s = randomString(rnd, kind, i % 7 === 0 ? 96 : 32);
      const expected = oracle(s);
      if (hashUnencodedChars(s) !== expected) expect(hashUnencodedChars(s), JSON.stringify(s)).toBe(expected);
      const cut1 = Math.floor(rnd() * (s.length + 1));
      const cut2 = cut1 + Math.floor(rnd() * (s.length - cut1 + 1));
      const parts = hashUnencodedParts(s.slice(0, cut1), s.slice(cut1, cut2), s.slice(cut2));
      if (parts !== expected) expect(parts, `${JSON.stringify(s)} cut at ${cut1}, ${cut2}`).toBe(expected);
      checked++;
    }
    expect(checked).toBe(1_000_000);
  }, 120_000); // a few seconds alone; generous for a machine under load

  it("gives the reference allocation for random visitor ids of every kind", () => {
    const rnd = prng(42);
    for (let i = 0; i < 100_000; i++) {
      const visitor = randomString(rnd, KINDS[i % KINDS.length]!, 64);
      const activityId = Math.floor(rnd() * 1e6);
      const expected = oracleAllocation(`acme.${activityId}.${visitor}.0`);
      const actual = computeAllocation("acme", activityId, visitor);
      if (actual !== expected) expect(actual, JSON.stringify(visitor)).toBe(expected);
      if (allocationForDeviceId(visitor) !== oracleAllocation(visitor)) {
        expect(allocationForDeviceId(visitor)).toBe(oracleAllocation(visitor));
      }
    }
  });
});
