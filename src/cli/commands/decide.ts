/**
 * `odd decide`: an artifact and a Delivery request in, the Delivery response out, decided exactly as
 * the service decides it (a TargetClient, on-device), with no network access: Delivery API calls
 * (the location-hint ping, notifications) are answered locally and never leave the process.
 */
import { TargetClient } from "../../client";
import { DecisioningError } from "../../errors";
import type { DeliveryRequest } from "../../protocol/delivery";
import type { FetchLike } from "../../platform/http";
import { systemScheduler, type Scheduler } from "../../platform/scheduler";
import { createOutboundFetch } from "../../server/outbound";
import { envValue, EXIT_OK, flag, str, UsageError, type Command, type CliIO } from "../args";
import { json, loadArtifact, parseJsonInput, readInput, writeOutput } from "../io";
import { ARTIFACT_OPTIONS, ARTIFACT_SOURCE_OPTION, artifactIdentity } from "./common";

/** Parses --now: epoch milliseconds or an ISO date. */
export function parseNow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t))
    throw new UsageError(`--now must be epoch milliseconds or an ISO date, got "${value}"`);
  return t;
}

function fixedClock(now: number): Scheduler {
  return { now: () => now, setTimeout: systemScheduler.setTimeout, random: systemScheduler.random };
}

/** A fetch that records Delivery requests (to show the notifications) and answers them locally. */
function capturingFetch(captured: DeliveryRequest[]): FetchLike {
  const local = createOutboundFetch({ upstream: "off" });
  return async (url, init) => {
    if (typeof init?.body === "string") {
      try {
        captured.push(JSON.parse(init.body) as DeliveryRequest);
      } catch {
        // not JSON: nothing to show
      }
    }
    return local.fetch(url, init);
  };
}

export const decideCommand: Command = {
  name: "decide",
  summary: "Decide a Delivery API request on-device against an artifact and print the Delivery response.",
  options: {
    artifact: ARTIFACT_SOURCE_OPTION,
    request: {
      type: "string",
      short: "r",
      value: "FILE|-",
      help: "the Delivery request JSON (default: stdin)",
    },
    client: {
      type: "string",
      value: "CODE",
      help: "client code (default: artifact meta.clientCode, ODD_CLIENT)",
    },
    "session-id": { type: "string", value: "ID", help: "session id (default: random)" },
    now: {
      type: "string",
      value: "MS|ISO",
      help: "decision time, for reproducible time-based rules (default: now)",
    },
    full: { type: "boolean", help: "print {response, meta, notifications} instead of the response alone" },
    pretty: { type: "boolean", short: "p", help: "indent the JSON output" },
    out: { type: "string", short: "o", value: "FILE", help: "write the output to FILE instead of stdout" },
    ...ARTIFACT_OPTIONS,
  },
  details: `
Examples:
  odd decide -a samples/sample-artifact.json -r request.json --pretty
  echo '{"execute":{"mboxes":[{"name":"hero","index":1}]}}' | odd decide -a rules.json

Exit codes: 0 decided, 1 the artifact or request was rejected (coded error on stderr), 2 usage.`,
  async run(args, io: CliIO) {
    const location = str(args, "artifact");
    if (!location) throw new UsageError("--artifact is required");
    const requestLocation = str(args, "request") ?? "-";
    if (location === "-" && requestLocation === "-")
      throw new UsageError("the artifact and the request cannot both come from stdin");
    const now = parseNow(str(args, "now"));
    const loaded = await loadArtifact(location, io, {
      org: str(args, "org") ?? envValue(io, "ODD_ORG_ID"),
      quiet: flag(args, "quiet"),
      progress: flag(args, "progress"),
    });
    const request = parseJsonInput(await readInput(requestLocation, io), "The request");
    if (request === null || typeof request !== "object" || Array.isArray(request)) {
      throw new DecisioningError(
        "ODE_ERR_INVALID_REQUEST",
        "The request must be a JSON object (a Delivery API request)",
      );
    }
    const identity = artifactIdentity(
      loaded.artifact,
      str(args, "client") ?? envValue(io, "ODD_CLIENT"),
      str(args, "org") ?? envValue(io, "ODD_ORG_ID"),
    );
    const captured: DeliveryRequest[] = [];
    loaded.progress.step("deciding");
    const client = TargetClient.create({
      client: identity.client,
      organizationId: identity.organizationId,
      decisioningMethod: "on-device",
      artifactPayload: loaded.artifact,
      fetchApi: capturingFetch(captured),
      telemetryEnabled: false,
      ...(now !== undefined ? { scheduler: fixedClock(now) } : {}),
    });
    try {
      await client.ready({ timeout: 30_000 });
      const sessionId = str(args, "session-id");
      const result = await client.getOffers({
        request: request as DeliveryRequest,
        ...(sessionId ? { sessionId } : {}),
      });
      await client.flush();
      const notifications = captured.flatMap((r) => (Array.isArray(r.notifications) ? r.notifications : []));
      const output = flag(args, "full")
        ? { response: result.response, meta: result.meta, notifications }
        : result.response;
      loaded.progress.done();
      await writeOutput(io, json(output, flag(args, "pretty")), str(args, "out"));
    } finally {
      await client.close();
    }
    return EXIT_OK;
  },
};
