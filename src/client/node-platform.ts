/**
 * The Node platform: undici's keep-alive pool, file artifact locations (read and watched), and
 * directory caches. Bound by the Node entry's TargetClient (./node-target-client).
 */
import { createDirectoryStorage } from "../artifact/directory-storage";
import { createFileSource } from "../artifact/sources";
import { createDefaultFetch } from "../platform/defaults";
import type { ClientPlatform } from "./platform";

export const nodePlatform: ClientPlatform = {
  createFetch: createDefaultFetch,
  fileSource: createFileSource,
  directoryStorage: createDirectoryStorage,
  backgroundWork: true,
};
