/**
 * CLI input and output: reading a file, stdin ("-") or an http(s) URL with a size cap, decoding an
 * artifact (rules.json or rules.bin, detected from its header), progress lines on stderr, and
 * writing results to stdout or a file.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeRulesBinText, RULES_BIN_PREFIX } from "../artifact/rules-bin";
import { parseArtifactText, utf8Decode } from "../artifact/parse";
import type { Artifact } from "../artifact/schema";
import { DecisioningError } from "../errors";
import type { CliIO } from "./args";

export const MAX_INPUT_BYTES = 50 * 1024 * 1024;
/** Inputs from this size on show progress on stderr (unless --quiet). */
export const PROGRESS_THRESHOLD = 256 * 1024;
const URL_TIMEOUT_MS = 30_000;

export interface Progress {
  step(message: string): void;
  done(message?: string): void;
}

/** Progress lines (`odd: <message>`) on stderr; silent when disabled. */
export function createProgress(io: CliIO, enabled: boolean): Progress {
  const started = performance.now();
  return {
    step(message) {
      if (enabled) io.stderr.write(`odd: ${message}…\n`);
    },
    done(message = "done") {
      if (enabled) io.stderr.write(`odd: ${message} in ${Math.round(performance.now() - started)} ms\n`);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function tooLarge(location: string): DecisioningError {
  return new DecisioningError(
    "ODE_ERR_ARTIFACT_TOO_LARGE",
    `${location} is larger than ${formatBytes(MAX_INPUT_BYTES)}`,
  );
}

async function readStdin(io: CliIO): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw tooLarge("stdin");
    chunks.push(buf);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function readUrl(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(URL_TIMEOUT_MS) });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecisioningError("ODE_ERR_NETWORK", `Cannot fetch ${url}: ${reason}`, { cause });
  }
  if (!res.ok)
    throw new DecisioningError("ODE_ERR_HTTP_STATUS", `${url} answered ${res.status}`, {
      status: res.status,
    });
  const declared = Number(res.headers.get("content-length"));
  if (declared > MAX_INPUT_BYTES) throw tooLarge(url);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > MAX_INPUT_BYTES) throw tooLarge(url);
  return bytes;
}

/** Reads a file path, "-" (stdin) or an http(s) URL. */
export async function readInput(location: string, io: CliIO): Promise<Uint8Array> {
  if (location === "-") return readStdin(io);
  if (/^https?:\/\//i.test(location)) return readUrl(location);
  try {
    const info = await stat(location);
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_INPUT_BYTES) throw tooLarge(location);
    return new Uint8Array(await readFile(location));
  } catch (err) {
    if (DecisioningError.is(err)) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new DecisioningError("ODE_ERR_ARTIFACT_UNAVAILABLE", `Cannot read ${location}: ${reason}`, {
      cause: err,
    });
  }
}

/** The size of a local input before reading it (undefined for stdin and URLs). */
export async function inputSize(location: string): Promise<number | undefined> {
  if (location === "-" || /^https?:\/\//i.test(location)) return undefined;
  try {
    return (await stat(location)).size;
  } catch {
    return undefined;
  }
}

export function displayName(location: string): string {
  return location === "-" ? "stdin" : /^https?:/i.test(location) ? location : path.basename(location);
}

export function isRulesBin(bytes: Uint8Array): boolean {
  const prefix = new TextEncoder().encode(`${RULES_BIN_PREFIX}:`);
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

export interface LoadedInput {
  artifact: Artifact;
  /** The artifact's JSON text (decoded from rules.bin when needed). */
  text: string;
  format: "json" | "bin";
  size: number;
}

/** Decodes artifact bytes (rules.bin needs the organization id) and validates the result. */
export function decodeArtifactBytes(bytes: Uint8Array, organizationId: string | undefined): LoadedInput {
  const format = isRulesBin(bytes) ? "bin" : "json";
  if (format === "bin" && !organizationId) {
    throw new DecisioningError(
      "ODE_ERR_INVALID_OPTION",
      "This is a rules.bin artifact: --org (or ODD_ORG_ID) is required to decode it",
      {
        details: { option: "org" },
      },
    );
  }
  const text = format === "bin" ? decodeRulesBinText(bytes, organizationId!) : utf8Decode(bytes);
  return { artifact: parseArtifactText(text), text, format, size: bytes.length };
}

export interface LoadOptions {
  org?: string;
  quiet?: boolean;
  progress?: boolean;
}

/** Reads and decodes an artifact, with progress on stderr for large inputs. */
export async function loadArtifact(
  location: string,
  io: CliIO,
  options: LoadOptions = {},
): Promise<LoadedInput & { progress: Progress }> {
  const size = await inputSize(location);
  const enabled =
    !options.quiet && (options.progress === true || (size !== undefined && size >= PROGRESS_THRESHOLD));
  const progress = createProgress(io, enabled);
  progress.step(`reading ${displayName(location)}${size !== undefined ? ` (${formatBytes(size)})` : ""}`);
  const bytes = await readInput(location, io);
  progress.step(`parsing ${formatBytes(bytes.length)}${isRulesBin(bytes) ? " (rules.bin)" : ""}`);
  const loaded = decodeArtifactBytes(bytes, options.org);
  return { ...loaded, progress };
}

/** Parses a JSON input (request files). */
export function parseJsonInput(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecisioningError("ODE_ERR_INVALID_REQUEST", `${what} is not valid JSON: ${reason}`, { cause });
  }
}

/** Writes text or bytes to `out` (a file) or stdout. */
export async function writeOutput(
  io: CliIO,
  data: string | Uint8Array,
  out: string | undefined,
): Promise<void> {
  if (out && out !== "-") {
    await writeFile(out, data);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    io.stdout.write(data, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

export function json(value: unknown, pretty: boolean): string {
  return `${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`;
}
