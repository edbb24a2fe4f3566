/**
 * The obfuscated binary artifact format `rules.bin` (docs/target-behaviour.md#rulesbin). Runtime-neutral: TextEncoder /
 * TextDecoder and typed arrays only, so it runs in Node, browsers and edge runtimes alike.
 *
 * Layout: a 40-byte header read as UTF-8 text, `ATOD:001` followed by a 32-character key, then the
 * artifact's UTF-8 JSON XOR-ed byte-wise with the repeating key stream utf8(organizationId) + utf8(key).
 */
import { DecisioningError } from "../errors";
import { parseArtifactText, utf8Decode } from "./parse";
import type { Artifact } from "./schema";

export const RULES_BIN_HEADER_LENGTH = 40;
export const RULES_BIN_PREFIX = "ATOD";
export const RULES_BIN_VERSION = 1;
const KEY_LENGTH = RULES_BIN_HEADER_LENGTH - 8;
const KEY_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~";

function binInvalid(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_ARTIFACT_BIN_INVALID", `Invalid Artifact: ${message}`);
}

function xorInPlace(data: Uint8Array, key: Uint8Array): void {
  const n = key.length;
  for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (key[i % n] as number);
}

function keyStream(organizationId: string, key: string): Uint8Array {
  return new TextEncoder().encode(organizationId + key);
}

/**
 * Decodes rules.bin to the artifact's JSON text (not yet parsed).
 * Header shorter than 40 bytes, a prefix other than `ATOD` or a version other than 1 →
 * ODE_ERR_ARTIFACT_BIN_INVALID; content that is not UTF-8 (e.g. a wrong organizationId) →
 * ODE_ERR_ARTIFACT_PARSE.
 */
export function decodeRulesBinText(bytes: Uint8Array, organizationId: string): string {
  if (!(bytes instanceof Uint8Array)) throw binInvalid("expected bytes");
  if (bytes.length < RULES_BIN_HEADER_LENGTH) {
    throw binInvalid(
      `the file has ${bytes.length} bytes, less than the ${RULES_BIN_HEADER_LENGTH}-byte header`,
    );
  }
  // The reference decodes the header as (lenient) UTF-8 text and re-encodes the key characters.
  const header = new TextDecoder("utf-8").decode(bytes.subarray(0, RULES_BIN_HEADER_LENGTH));
  const [prefix, version] = header.slice(0, 8).split(":");
  if (prefix !== RULES_BIN_PREFIX || parseInt(version ?? "", 10) !== RULES_BIN_VERSION) {
    throw binInvalid(`unsupported header "${header.slice(0, 8)}"`);
  }
  const stream = keyStream(organizationId, header.slice(8));
  if (stream.length === 0) throw binInvalid("empty key");
  const body = bytes.slice(RULES_BIN_HEADER_LENGTH);
  xorInPlace(body, stream);
  return utf8Decode(body);
}

/**
 * Decodes and validates a rules.bin artifact.
 * Errors: ODE_ERR_ARTIFACT_BIN_INVALID (header), ODE_ERR_ARTIFACT_PARSE (not JSON, e.g. a wrong
 * organizationId or a truncated body), plus the validation codes of `validateArtifact`.
 */
export function decodeRulesBin(bytes: Uint8Array, organizationId: string): Artifact {
  return parseArtifactText(decodeRulesBinText(bytes, organizationId));
}

/**
 * Encodes an artifact (object, or JSON text used byte for byte) as rules.bin. `key` must be 32
 * printable ASCII characters; without it a random key is drawn. Intended for tooling and tests
 * (self-hosting an obfuscated artifact).
 */
export function encodeRulesBin(artifact: unknown, organizationId: string, key?: string): Uint8Array {
  const text = typeof artifact === "string" ? artifact : JSON.stringify(artifact);
  if (typeof text !== "string") {
    throw new DecisioningError(
      "ODE_ERR_INVALID_OPTION",
      "encodeRulesBin: the artifact is not serialisable to JSON",
    );
  }
  const headerKey = key ?? randomKey();
  if (headerKey.length !== KEY_LENGTH || !/^[\x21-\x7e]+$/.test(headerKey)) {
    throw new DecisioningError(
      "ODE_ERR_INVALID_OPTION",
      `encodeRulesBin: key must be ${KEY_LENGTH} printable ASCII characters`,
    );
  }
  const encoder = new TextEncoder();
  const header = encoder.encode(`${RULES_BIN_PREFIX}:00${RULES_BIN_VERSION}${headerKey}`);
  const body = encoder.encode(text);
  xorInPlace(body, keyStream(organizationId, headerKey));
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

function randomKey(): string {
  const random = new Uint8Array(KEY_LENGTH);
  globalThis.crypto.getRandomValues(random);
  let key = "";
  for (const b of random) key += KEY_ALPHABET[b % KEY_ALPHABET.length];
  return key;
}
