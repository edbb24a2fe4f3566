/**
 * The Node platform: undici's keep-alive pool, file artifact locations (read and watched), and
 * directory caches. Bound by the Node entry's TargetClient (src/client/node-target-client.ts).
 */
import { createDirectoryStorage } from "../artifact/directory-storage";
import { createFileSource } from "../artifact/sources";
import { createDefaultFetch } from "./defaults";
import type { ClientPlatform } from "./types";

export const nodePlatform: ClientPlatform = {
  createFetch: createDefaultFetch,
  fileSource: createFileSource,
  directoryStorage: createDirectoryStorage,
  backgroundWork: true,
};
