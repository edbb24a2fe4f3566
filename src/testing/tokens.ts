import { hashUnencodedChars } from "../engine/allocation";

/** `count` pseudo-random bytes derived from `seed` (MurmurHash3 of "<seed>#<block>"). */
function bytesFrom(seed: string, count: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < count; block++) {
    const h = hashUnencodedChars(`${seed}#${block}`) >>> 0;
    out.push(h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, h >>> 24);
  }
  return out.slice(0, count);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]!;
    out += b === undefined ? "=" : ALPHABET[(n >>> 6) & 63]!;
    out += c === undefined ? "=" : ALPHABET[n & 63]!;
  }
  return out;
}

/**
 * Option event token, shaped like Target's: 64 bytes in base64 (88 chars) where the first 16 bytes
 * identify the activity and the last 48 the experience. Deterministic; distinct for distinct
 * (client, activity, experience).
 */
export function optionEventToken(client: string, activityId: number, experienceId: number): string {
  return base64([...bytesFrom(`activity|${client}|${activityId}`, 16), ...bytesFrom(`experience|${client}|${activityId}|${experienceId}`, 48)]);
}

/** Metric event token: 16 bytes in base64 (24 chars), like Target's click-metric tokens. */
export function metricEventToken(client: string, activityId: number, index: number, type: string): string {
  return base64(bytesFrom(`metric|${client}|${activityId}|${index}|${type}`, 16));
}
