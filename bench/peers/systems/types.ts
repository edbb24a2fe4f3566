import { readFileSync } from "node:fs";
import type { Answer, JobId } from "../jobs";

/** One system under test, set up for one job. */
export interface Decider {
  /** Decides every location of the job for visit i: what a caller does per request (timed). */
  call(i: number): unknown;
  /** The answers in a call's result, one per location of the job (not timed). */
  answers(result: unknown): Answer[];
  /** Finishes background work the calls left behind (timed in the sustained figure, not per call). */
  drain?(): Promise<void>;
  close(): Promise<void>;
}

export interface System {
  id: string;
  title: string;
  /** Package and version, for the report. */
  version(): string;
  create(job: JobId): Promise<Decider>;
}

/** The installed version of a package (read from node_modules, since some packages do not export package.json). */
export function packageVersion(name: string): string {
  const file = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
  return `${name} ${(JSON.parse(readFileSync(file, "utf8")) as { version: string }).version}`;
}

/** This package's name and version. */
export function ownVersion(): string {
  const file = new URL("../../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(file, "utf8")) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}
