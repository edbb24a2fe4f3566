/**
 * A process that uses the public TargetClient API the way an application does and prints one JSON
 * line per step, so tests can check that close(), flush() and ready({timeout}) settle on their own
 * (nothing else keeps this process's event loop alive). Run by test/client/lifecycle.test.ts:
 *
 *   node --import tsx test/client/scripts/lifecycle.ts <mode> <stand-in host:port>
 *
 * Modes: `close` and `flush` (one decision; after a line on stdin, close()/flush() while its
 * notification waits for a retry), `ready` (the artifact download fails; ready({timeout: 1000})).
 */
import path from "node:path";
import { TargetClient } from "../../../src/index";

const [mode, standIn] = process.argv.slice(2) as [string, string];
const SAMPLE = path.resolve(import.meta.dirname, "../../../samples/sample-artifact.json");
const print = (step: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ step, ...extra })}\n`);
const quiet = { debug() {}, error() {} };

function create(artifactLocation: string): TargetClient {
  return TargetClient.create({
    client: "demo",
    organizationId: "DEMO0000000000000000000@AdobeOrg",
    decisioningMethod: "on-device",
    artifactLocation,
    pollingInterval: 0,
    serverDomain: standIn,
    secure: false,
    notificationFlushInterval: 0,
    logger: quiet,
  });
}

async function decideThenSettle(settle: "close" | "flush"): Promise<void> {
  const client = create(SAMPLE);
  await client.ready();
  await client.getOffers({
    request: { id: { tntId: "lifecycle-visitor" }, execute: { mboxes: [{ name: "hero", index: 1 }] } },
  });
  // The test writes a line once the stand-in answered the first send with 503: its retry now
  // waits on a timer. stdin is released right away, so it does not keep the process alive.
  print("decided");
  await new Promise<void>((resolve) =>
    process.stdin.once("data", () => {
      process.stdin.destroy();
      resolve();
    }),
  );
  print("settling");
  if (settle === "flush") {
    await client.flush();
    print("flushed", { notifications: client.status().notifications });
  }
  await client.close();
  print("closed", { notifications: client.status().notifications });
}

async function readyWithFailingDownload(): Promise<void> {
  const client = create(`http://${standIn}/rules.json`);
  try {
    await client.ready({ timeout: 1000 });
    print("ready");
  } catch (err) {
    print("rejected", { code: (err as { code?: string }).code });
  }
  await client.close();
  print("closed");
}

const run =
  mode === "ready" ? readyWithFailingDownload() : decideThenSettle(mode === "flush" ? "flush" : "close");
run.catch((err: unknown) => {
  print("failed", { message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
