/**
 * The floor of a decision that must leave an impression: serialising the Delivery request that
 * carries it. A Delivery request names one visitor, so each decision for a new visitor is one such
 * request: the visitor's id and context, the display notification the engine entry returned, and
 * the telemetry entries (this decision's and the previous send's) that ride along, as getOffers
 * sends them for bench:peers job a. Nothing that sends the impression can cost less than this.
 */
import { compile, decide } from "../../src/engine/index";
import type { DeliveryRequest } from "../../src/protocol/delivery";
import { telemetryEntryFor } from "../../src/protocol/telemetry";
import { peersArtifact } from "../peers/target-artifact";
import type { MicroCase } from "./micro";

const CLIENT = "targettesting";

/** The notification request of visit i, built from a real engine decision. */
function notificationRequest(compiled: ReturnType<typeof compile>, i: number): DeliveryRequest {
  const request: DeliveryRequest = {
    requestId: `request-${i}`,
    id: { tntId: `visitor-${i}.28_0` },
    context: { channel: "web" },
    execute: { mboxes: [{ name: "peers-ab", index: 1 }] },
  };
  const { response, notifications } = decide(compiled, request, { client: CLIENT });
  const now = Date.now();
  const entries = [
    telemetryEntryFor({
      request,
      response,
      mode: "local",
      execution: 0.09,
      parsing: 0.02,
      decisioningMethod: "on-device",
      timestamp: now,
    }),
    telemetryEntryFor({
      request: { requestId: `send-${i}` },
      response: {},
      execution: 0.87,
      decisioningMethod: "server-side",
      timestamp: now,
    }),
  ];
  return {
    requestId: `notify-${i}`,
    id: request.id,
    context: request.context,
    experienceCloud: {
      analytics: { logging: "server_side", supplementalDataId: "38105B63C549464A-AF1F5AC239B924E9" },
    },
    notifications,
    telemetry: { entries },
  };
}

export const cases: MicroCase[] = [
  {
    name: "floor: JSON.stringify of one visitor's notification request (job a of bench:peers)",
    setup: () => {
      const compiled = compile(peersArtifact());
      const bodies = Array.from({ length: 1024 }, (_, i) => notificationRequest(compiled, i));
      if (!bodies.every((b) => (b.notifications?.length ?? 0) === 1))
        throw new Error("the engine returned no display notification");
      return (i) => JSON.stringify(bodies[i & 1023]);
    },
    batch: 200,
  },
];
