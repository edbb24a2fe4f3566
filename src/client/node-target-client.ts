/**
 * The Node entry's TargetClient: the facade bound to the Node platform (undici's keep-alive pool,
 * file artifact locations and watching, directory caches).
 */
import { createDirectoryStorage } from "../artifact/directory-storage";
import { createFileSource } from "../artifact/sources";
import { createDefaultFetch } from "../platform/defaults";
import type { ClientPlatform } from "./platform";
import { TargetClient as PortableTargetClient } from "./target-client";

export const nodePlatform: ClientPlatform = {
  createFetch: createDefaultFetch,
  fileSource: createFileSource,
  directoryStorage: createDirectoryStorage,
  backgroundWork: true,
};

export class TargetClient extends PortableTargetClient {
  protected static override readonly platform: ClientPlatform = nodePlatform;
}
