/**
 * The Node entry's TargetClient: the facade bound to the Node platform (src/platform/node.ts).
 */
import { nodePlatform } from "../platform/node";
import type { ClientPlatform } from "../platform/types";
import { TargetClient as PortableTargetClient } from "./target-client";

export class TargetClient extends PortableTargetClient {
  protected static override readonly platform: ClientPlatform = nodePlatform;
}
