/**
 * The directory storage of the warm-start cache (Node only: it uses the file system). Chosen by the
 * Node platform when `artifactCache` is a directory path.
 */
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactCacheStorage } from "./cache";

let tmpCounter = 0;

/**
 * Directory storage: one file per key; writes go to a temporary file in the same directory and
 * are renamed over the target, so a reader (or a crash) never sees a half-written entry.
 */
export function createDirectoryStorage(dir: string): ArtifactCacheStorage {
  return {
    async get(key) {
      try {
        return await readFile(join(dir, key), "utf8");
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return undefined;
        throw err;
      }
    },
    async set(key, value) {
      await mkdir(dir, { recursive: true });
      const target = join(dir, key);
      const tmp = `${target}.${process.pid}.${++tmpCounter}.tmp`;
      try {
        await writeFile(tmp, value, "utf8");
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
    },
  };
}
