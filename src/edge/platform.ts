/**
 * The edge platform: the runtime's global fetch, no file system, and no work between requests
 * (no load retried on a timer, no location-hint request at start).
 */
import type { ClientPlatform } from "../client/platform";
import { TargetClient as PortableTargetClient } from "../client/target-client";
import { createWebFetch } from "../platform/web";

export const edgePlatform: ClientPlatform = {
  createFetch: createWebFetch,
  backgroundWork: false,
};

/** The facade on the edge platform: what the edge TargetClient wraps. */
export class EdgeCoreClient extends PortableTargetClient {
  protected static override platform: ClientPlatform = edgePlatform;
}
