/**
 * The Node entry's TargetClient: the facade bound to the Node platform (src/platform/node.ts).
 */
import { nodePlatform } from "./node-platform";
import type { ClientPlatform } from "./platform";
import { TargetClient as PortableTargetClient } from "./target-client";

export class TargetClient extends PortableTargetClient {
  protected static override readonly platform: ClientPlatform = nodePlatform;
}
