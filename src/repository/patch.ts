/**
 * JSON Patch (RFC 6902) on the HAL document of an instance, through fast-json-patch. The patch is
 * validated first (malformed → 400), may only touch `/_instance` and `/_links` (else 422), and is
 * applied to a copy: when any operation fails (missing target, index out of range, failed `test`)
 * nothing changes (422).
 */
import jsonPatch from "fast-json-patch";
import { isPlainObject } from "./json-body";
import { repoError } from "./problem";

const { applyPatch, deepClone, JsonPatchError } = jsonPatch;

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);
const MAX_OPERATIONS = 1000;
/** Failures that mean "valid patch, not applicable to this document". */
const NOT_APPLICABLE = new Set([
  "OPERATION_PATH_CANNOT_ADD",
  "OPERATION_PATH_UNRESOLVABLE",
  "OPERATION_FROM_UNRESOLVABLE",
  "OPERATION_PATH_ILLEGAL_ARRAY_INDEX",
  "OPERATION_VALUE_OUT_OF_BOUNDS",
  "TEST_OPERATION_FAILED",
]);

export interface HalDocument {
  _instance: Record<string, unknown>;
  _links: Record<string, unknown>;
}

const malformed = (message: string) => repoError("ODE_ERR_REPO_INVALID_PATCH", 400, message);
const insideDocument = (pointer: string) => /^\/(_instance|_links)(\/|$)/.test(pointer);

function checkShape(ops: unknown): asserts ops is Array<Record<string, unknown>> {
  if (!Array.isArray(ops)) throw malformed("A JSON Patch document is an array of operations");
  if (ops.length > MAX_OPERATIONS) throw malformed(`A patch may hold at most ${MAX_OPERATIONS} operations`);
  ops.forEach((op, i) => {
    if (!isPlainObject(op)) throw malformed(`Operation ${i} is not an object`);
    if (typeof op.op !== "string" || !OPS.has(op.op)) throw malformed(`Operation ${i}: "op" must be one of ${[...OPS].join(", ")}`);
    if (typeof op.path !== "string") throw malformed(`Operation ${i}: "path" is required`);
    if (op.path !== "" && !op.path.startsWith("/")) throw malformed(`Operation ${i}: "path" must be a JSON Pointer`);
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) {
      throw malformed(`Operation ${i} (${op.op}): "value" is required`);
    }
    if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") throw malformed(`Operation ${i} (${op.op}): "from" is required`);
  });
  ops.forEach((op, i) => {
    for (const pointer of [op.path, op.from].filter((p): p is string => typeof p === "string")) {
      if (!insideDocument(pointer)) {
        throw repoError("ODE_ERR_REPO_READ_ONLY_PROPERTY", 422, `Operation ${i}: "${pointer}" is outside /_instance and /_links`);
      }
    }
  });
}

/** Applies `ops` to a copy of `doc`; the result still has object `_instance` and `_links`. */
export function applyInstancePatch(doc: HalDocument, ops: unknown): HalDocument {
  checkShape(ops);
  let result: HalDocument;
  try {
    result = applyPatch(deepClone(doc), ops as any, true, false).newDocument as HalDocument;
  } catch (err) {
    if (err instanceof JsonPatchError && NOT_APPLICABLE.has(err.name)) {
      const index = typeof err.index === "number" ? `Operation ${err.index}: ` : "";
      throw repoError("ODE_ERR_REPO_PATCH_FAILED", 422, `${index}${err.message.split("\n")[0]}`);
    }
    throw malformed(`The patch is malformed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  if (!isPlainObject(result._instance)) throw repoError("ODE_ERR_REPO_VALIDATION", 400, "_instance must remain an object");
  if (!isPlainObject(result._links)) throw repoError("ODE_ERR_REPO_VALIDATION", 400, "_links must remain an object");
  return result;
}
