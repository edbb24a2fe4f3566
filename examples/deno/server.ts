/**
 * A Deno server answering the Adobe Target Delivery API from the rules artifact:
 *
 *   deno run --allow-net --allow-env server.ts
 *
 * Environment: TARGET_CLIENT, TARGET_ORGANIZATION_ID (required); TARGET_ARTIFACT_URL (default: the
 * client's artifact on Adobe's CDN); TARGET_SERVER_DOMAIN and TARGET_SECURE=false to send
 * notifications somewhere else than Adobe's edge; HOSTNAME (default 127.0.0.1), PORT (default
 * 8000, 0 = any free port).
 *
 * Deno has no waitUntil: notifications and artifact revalidation run in the background of the
 * process, tracked so that SIGTERM/SIGINT lets them finish before the server stops.
 */
import { TargetClient, createBackgroundTasks, createDeliveryHandler } from "on-device-decisioning/edge";

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const clientCode = required("TARGET_CLIENT");
const organizationId = required("TARGET_ORGANIZATION_ID");
const artifactLocation = Deno.env.get("TARGET_ARTIFACT_URL");
const serverDomain = Deno.env.get("TARGET_SERVER_DOMAIN");
const background = createBackgroundTasks();

const client = TargetClient.create({
  client: clientCode,
  organizationId,
  decisioningMethod: "on-device",
  ...(artifactLocation ? { artifactLocation } : {}),
  ...(serverDomain ? { serverDomain, secure: Deno.env.get("TARGET_SECURE") !== "false" } : {}),
  pollingInterval: 60_000,
  waitUntil: background.waitUntil,
});
const delivery = createDeliveryHandler({ client, clientCode, organizationId });

const server = Deno.serve(
  {
    hostname: Deno.env.get("HOSTNAME") ?? "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? 8000),
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  (request) => delivery(request, { waitUntil: background.waitUntil }),
);

async function stop(): Promise<void> {
  await server.shutdown();
  await background.settled();
  await client.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => void stop());
Deno.addSignalListener("SIGINT", () => void stop());
