/**
 * The pure engine: `prepareDecisionRequest` + `decide` on the compiled production artifact, for
 * the requests of scenarios 1–5 — what a getOffers costs before the client's own work (option
 * handling, cookies, notification queue, promises).
 */
import { compileArtifact } from "../../src/engine/compile";
import { decide, prepareDecisionRequest } from "../../src/engine/decide";
import { remoteDependency } from "../../src/engine/remote-dependency";
import { loadProductionArtifactText, scaleArtifact } from "../lib/artifacts";
import {
  audienceRealWorld,
  executeOneMbox,
  executePageLoad,
  prefetchAllViews,
  prefetchFiveMboxes,
  type RequestBuilder,
} from "../scenarios/requests";
import type { MicroCase } from "./micro";

let uuidCounter = 0;
const uuid = () => (++uuidCounter).toString(16).padStart(32, "0");

function decideCase(name: string, build: RequestBuilder, batch: number, factor = 1): MicroCase {
  return {
    name,
    setup: () => {
      const compiled = compileArtifact(
        scaleArtifact(JSON.parse(loadProductionArtifactText()), factor) as any,
      );
      const now = Date.UTC(2024, 6, 4, 12, 0);
      return (i) => {
        const request = (build(i) as { request: any }).request;
        const validated = prepareDecisionRequest(request, "28", uuid);
        return decide(compiled, validated, { client: "targettesting", now, uuid }).notifications.length;
      };
    },
    batch,
  };
}

export const cases: MicroCase[] = [
  {
    name: "decide: prepareDecisionRequest (S1 request)",
    setup: () => {
      const requests = Array.from({ length: 256 }, (_, i) => (executeOneMbox(i) as { request: any }).request);
      return (i) => prepareDecisionRequest(requests[i & 255], "28", uuid);
    },
    batch: 2000,
  },
  {
    name: "decide: remoteDependency (S2 request)",
    setup: () => {
      const compiled = compileArtifact(JSON.parse(loadProductionArtifactText()));
      const request = (prefetchFiveMboxes(0) as { request: any }).request;
      return () => remoteDependency(compiled, request);
    },
    batch: 2000,
  },
  {
    name: "decide: request builder of S1 alone (bench overhead in the cases below)",
    setup: () => (i) => executeOneMbox(i),
    batch: 2000,
  },
  decideCase("decide: S1 execute 1 A/B mbox", executeOneMbox, 500),
  decideCase("decide: S1 execute 1 A/B mbox, 100× artifact", executeOneMbox, 500, 100),
  decideCase("decide: S2 prefetch 5 mboxes", prefetchFiveMboxes, 200),
  decideCase("decide: S3 prefetch all views", prefetchAllViews, 200),
  decideCase("decide: S4 execute pageLoad", executePageLoad, 100),
  decideCase("decide: S5 audiences (real-world hosts)", audienceRealWorld, 100),
];
