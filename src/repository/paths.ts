/**
 * Property paths of the list API (`_instance.xdm:rank.xdm:priority`, `repo:lastModifiedDate`):
 * dot-separated keys into the instance representation. Arrays met along the way fan out, so a
 * path can name several values (every element of `_instance.xdm:tags`).
 */
import { badQuery } from "./problem";
import { isPlainObject } from "./json-body";

export type PropertyPath = readonly string[];

export function parsePath(text: string, what = "path"): PropertyPath {
  const segments = text.split(".");
  if (text === "" || segments.some((s) => s === "")) throw badQuery(`Invalid ${what} "${text}": empty path segment`);
  return segments;
}

/** Every value at `path` (arrays along the path and at its end are expanded one level). */
export function valuesAt(doc: unknown, path: PropertyPath): unknown[] {
  let current: unknown[] = [doc];
  for (const key of path) {
    const next: unknown[] = [];
    for (const node of current) {
      const items = Array.isArray(node) ? node : [node];
      for (const item of items) {
        if (isPlainObject(item) && Object.hasOwn(item, key)) next.push(item[key]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined);
}

/** The first non-null value at `path` (the sort key of an item), or undefined. */
export function firstValueAt(doc: unknown, path: PropertyPath): unknown {
  return valuesAt(doc, path).find((v) => v !== null);
}

/** Every string anywhere inside `value` (objects and arrays walked; keys not included). */
export function stringsIn(value: unknown, skip?: (key: string, v: string) => boolean): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === "string") out.push(node);
    else if (Array.isArray(node)) stack.push(...node);
    else if (isPlainObject(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === "string" && skip?.(k, v)) continue;
        stack.push(v);
      }
    }
  }
  return out;
}
