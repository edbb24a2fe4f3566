/**
 * The floor: a hand-written decision for one A/B mbox — build the device id string, hash it,
 * compare the allocation to the split, build the response object. Nothing generic can beat it.
 * The hash here is MurmurHash3 x86_32 computed straight from UTF-16 code units with Math.imul
 * (two units per 32-bit block), checked against the engine's hashUnencodedChars at setup.
 */
import { hashUnencodedChars } from "../../src/engine/allocation";
import { visitorId } from "../scenarios/requests";
import type { MicroCase } from "./micro";

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** MurmurHash3 x86_32, seed 0, over the UTF-16LE bytes of `s`, as a signed integer. */
export function murmurUtf16(s: string): number {
  const n = s.length;
  let h = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    h ^= mixBlock(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) h ^= mixBlock(s.charCodeAt(i));
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const A = { type: "json", content: { experience: "A", name: "perf-mbox" } };
const B = { type: "json", content: { experience: "B", name: "perf-mbox" } };

function check(): void {
  for (const s of [
    "",
    "a",
    "😀",
    "someClientId.123456.tntId123.salty",
    `targettesting.120100.${visitorId(7)}.0`,
  ]) {
    if (murmurUtf16(s) !== hashUnencodedChars(s))
      throw new Error(`floor hash differs from the engine's for ${JSON.stringify(s)}`);
  }
}

function decision(hash: (s: string) => number): () => (i: number) => unknown {
  return () => {
    check();
    return (i) => {
      const h = hash(`targettesting.120100.${visitorId(i)}.0`);
      const allocation = Math.round(((Math.abs(h) % 10000) / 10000) * 100 * 100) / 100;
      const option = allocation <= 50 ? A : B;
      return { execute: { mboxes: [{ name: "perf-mbox", index: 1, options: [option] }] } };
    };
  };
}

export const cases: MicroCase[] = [
  {
    name: "floor: hand-written A/B decision (string, murmur on char codes, compare, response)",
    setup: decision(murmurUtf16),
    batch: 5000,
  },
  {
    name: "floor: same, hashed with the engine's hashUnencodedChars",
    setup: decision(hashUnencodedChars),
    batch: 2000,
  },
  {
    name: "floor: murmur on char codes alone (58-char device id)",
    setup: () => {
      const ids = Array.from({ length: 1024 }, (_, i) => `targettesting.120100.${visitorId(i)}.0`);
      return (i) => murmurUtf16(ids[i & 1023]!);
    },
    batch: 5000,
  },
];
