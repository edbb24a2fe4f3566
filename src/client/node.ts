/**
 * The TargetClient of the Node entry: the platform is Node's (undici's keep-alive pool for HTTP,
 * node:fs for file artifacts and the artifact cache directory).
 */
import { createDirectoryStorage } from "../artifact/directory-storage";
import { createFileSource } from "../artifact/file-source";
import { createDefaultFetch } from "../platform/defaults";
import type { ClientPlatform } from "./platform";
import { TargetClient as PortableTargetClient } from "./target-client";

export const nodePlatform: ClientPlatform = {
  createFetch: createDefaultFetch,
  fileSource: createFileSource,
  directoryStorage: createDirectoryStorage,
};

export class TargetClient extends PortableTargetClient {
  protected static override platform: ClientPlatform = nodePlatform;
}
