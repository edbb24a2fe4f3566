/**
 * Property-edit annotations on update and patch. `meta:immutable`: once a property has a value it
 * never changes and is never removed (any caller). `meta:usereditable: false`: a user caller may
 * only send the current value (or leave the property out); a service caller is not restricted.
 * Array elements are compared by position.
 */
import { isDeepStrictEqual } from "node:util";
import { isPlainObject } from "./json-body";
import type { ReportEntry } from "./problem";
import type { PropertyPattern, RegisteredSchema } from "./registry";

/** The concrete JSON Pointer segments of every existing property matching `pattern` in `doc`. */
function concretePaths(doc: unknown, pattern: PropertyPattern): string[][] {
  let paths: Array<{ path: string[]; node: unknown }> = [{ path: [], node: doc }];
  for (const segment of pattern) {
    const next: typeof paths = [];
    for (const { path, node } of paths) {
      if (segment === "*" && Array.isArray(node)) node.forEach((item, i) => next.push({ path: [...path, String(i)], node: item }));
      else if (isPlainObject(node) && Object.hasOwn(node, segment)) next.push({ path: [...path, segment], node: node[segment] });
    }
    paths = next;
  }
  return paths.map((p) => p.path);
}

function at(doc: unknown, path: readonly string[]): unknown {
  let node = doc;
  for (const key of path) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isPlainObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

const pointer = (path: readonly string[]) => `/_instance/${path.map((s) => s.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;

/** Violations of the annotations when `before` becomes `after` (the caller's payload after merging). */
export function annotationViolations(
  schema: RegisteredSchema,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  service: boolean,
): ReportEntry[] {
  const report: ReportEntry[] = [];
  for (const pattern of schema.immutable) {
    for (const path of concretePaths(before, pattern)) {
      const old = at(before, path);
      if (old === undefined || old === null) continue;
      const now = at(after, path);
      if (!isDeepStrictEqual(old, now)) {
        report.push({ path: pointer(path), message: now === undefined ? "is immutable and cannot be removed" : "is immutable and cannot be changed" });
      }
    }
  }
  if (service) return report;
  for (const pattern of schema.notUserEditable) {
    for (const path of concretePaths(after, pattern)) {
      if (report.some((r) => r.path === pointer(path))) continue;
      if (!isDeepStrictEqual(at(before, path), at(after, path))) {
        report.push({ path: pointer(path), message: "is not user-editable: send the current value or leave it out" });
      }
    }
  }
  return report;
}
