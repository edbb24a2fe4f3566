/** Bucketing: MurmurHash3 over UTF-16 units, and the allocation of one visitor in one activity. */
import { computeAllocation, hashUnencodedChars, visitorIdForAllocation } from "../../src/engine/allocation";
import { visitorId } from "../scenarios/requests";
import type { MicroCase } from "./micro";

export const cases: MicroCase[] = [
  {
    name: "allocation: hashUnencodedChars (58-char device id)",
    setup: () => {
      const ids = Array.from({ length: 1024 }, (_, i) => `targettesting.120100.${visitorId(i)}.0`);
      return (i) => hashUnencodedChars(ids[i & 1023]!);
    },
    batch: 2000,
  },
  {
    name: "allocation: computeAllocation (client, activity, visitor)",
    setup: () => (i) => computeAllocation("targettesting", 120100, visitorId(i)),
    batch: 2000,
  },
  {
    name: "allocation: visitorIdForAllocation (tntId with location hint)",
    setup: () => {
      const ids = Array.from({ length: 1024 }, (_, i) => ({ tntId: `${visitorId(i)}.28_0` }));
      return (i) => visitorIdForAllocation(ids[i & 1023], () => "x");
    },
    batch: 5000,
  },
];
