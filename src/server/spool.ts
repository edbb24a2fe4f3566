/**
 * The notification spool of the service: a file of JSON lines (one batch per line) that keeps what
 * the queue could not send before a shutdown deadline, read back and sent first by the next start.
 * Written atomically (a temporary file renamed over the old one), readable by the owner only
 * (it holds visitor ids). A cluster worker spools to `<file>.<slot>`; worker slot 0 also adopts the
 * files of slots that no longer exist (fewer workers than last time) and the plain `<file>`.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { NotificationSpool, SpooledBatch } from "../client";

export interface FileSpoolOptions {
  /** The configured spool file. */
  file: string;
  /** This process's worker slot (0-based), or undefined for a single process. */
  slot?: number;
  /** Worker count, to adopt the files of slots beyond it. */
  workers?: number;
}

function readBatches(file: string): SpooledBatch[] {
  if (!existsSync(file)) return [];
  const out: SpooledBatch[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const batch = JSON.parse(line) as SpooledBatch;
      if (batch && typeof batch === "object" && Array.isArray(batch.notifications)) out.push(batch);
    } catch {
      // a torn last line (crash while writing a temporary file never reaches here): skip it
    }
  }
  return out;
}

/** Files this process reads at startup besides its own: leftovers of other layouts. */
function adoptedFiles(o: FileSpoolOptions, own: string): string[] {
  if (o.slot !== 0) return [];
  const dir = path.dirname(o.file);
  const base = path.basename(o.file);
  const files = existsSync(o.file) && o.file !== own ? [o.file] : [];
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)$`).exec(name);
    if (m && Number(m[1]) >= (o.workers ?? 1)) files.push(path.join(dir, name));
  }
  return files;
}

export function spoolFileFor(o: FileSpoolOptions): string {
  return o.slot === undefined ? o.file : `${o.file}.${o.slot}`;
}

export function createFileSpool(o: FileSpoolOptions): NotificationSpool {
  const own = spoolFileFor(o);
  return {
    load() {
      const batches = readBatches(own);
      for (const file of adoptedFiles(o, own)) {
        batches.push(...readBatches(file));
        rmSync(file, { force: true }); // now held by this process, and spooled to `own` if unsent
      }
      return batches;
    },
    save(batches) {
      if (batches.length === 0) {
        rmSync(own, { force: true });
        return;
      }
      mkdirSync(path.dirname(own), { recursive: true });
      const tmp = `${own}.tmp-${process.pid}`;
      writeFileSync(tmp, batches.map((b) => JSON.stringify(b)).join("\n") + "\n", { mode: 0o600 });
      renameSync(tmp, own);
    },
  };
}
