/** A high-resolution clock for timings (ms): `performance.now()` where the runtime has it, else `Date.now()`. */
export function performanceNow(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}
