/**
 * Visitor ids for benchmarks: 32-hex-char ids from a pool generated on first use, so that drawing
 * one costs nothing in the timed loop; distinct for `size` consecutive calls (size a power of two).
 */
import { randomBytes } from "node:crypto";

export function visitorIdPool(size: number): (i: number) => string {
  let pool: string[] | undefined;
  return (i) => {
    if (!pool) {
      const hex = randomBytes(16 * size).toString("hex");
      pool = Array.from({ length: size }, (_, k) => hex.slice(k * 32, k * 32 + 32));
    }
    return pool[i & (size - 1)]!;
  };
}
