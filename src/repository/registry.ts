/**
 * The schema registry: every schema the repository serves, compiled once at start with Ajv.
 * A schema may name the schema it extends (`meta:extends`); an instance then has to satisfy the
 * whole chain, and an instance is listed under every schema of its family (the schemas related
 * through `meta:extends`) whose chain it satisfies. Schema identity ignores a `;version=…` suffix.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { DecisioningError } from "../errors";
import { isPlainObject } from "./json-body";
import { repoError, type ReportEntry } from "./problem";
import { BUILT_IN_SCHEMAS } from "./schemas/offer-management";

/** A property path inside `_instance`; "*" stands for any array index. */
export type PropertyPattern = readonly string[];

export interface RegisteredSchema {
  /** Canonical id (no version suffix). */
  id: string;
  /** The ids this schema extends directly (canonical). */
  extends: readonly string[];
  /** `{type}` in generated `@id`s: the last path segment of the id. */
  idType: string;
  /** Whether instances carry a server-assigned `@id`. */
  hasAtId: boolean;
  immutable: readonly PropertyPattern[];
  notUserEditable: readonly PropertyPattern[];
}

export interface RegistryOptions {
  /** Extra schemas (`--schema`), each with `$id` and optionally `meta:extends`. */
  custom?: readonly Record<string, unknown>[];
  /**
   * Enforce `meta:usereditable: false` on component `dc:format`/`dc:language` as the published
   * XDM schemas do (default false: it would forbid editing representations through the API).
   */
  strictComponentEditability?: boolean;
}

interface Entry extends RegisteredSchema {
  validate: ValidateFunction;
}

/** "…/personalized-offer;version=0.5" → "…/personalized-offer". */
export function schemaKey(id: string): string {
  return id.replace(/\s*;\s*version\s*=.*$/i, "").trim();
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
export const isDateTime = (v: string): boolean => RFC3339.test(v) && !Number.isNaN(Date.parse(v));

function invalidSchema(message: string): DecisioningError {
  return new DecisioningError("ODE_ERR_INVALID_OPTION", message, { details: { option: "schema" } });
}

/** Collects the property patterns annotated with `keyword: value` (through properties and items). */
function collectAnnotated(schema: unknown, keyword: string, value: boolean, prefix: string[] = []): string[][] {
  if (!isPlainObject(schema)) return [];
  const found: string[][] = [];
  if (schema[keyword] === value && prefix.length > 0) found.push(prefix);
  if (isPlainObject(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties)) found.push(...collectAnnotated(sub, keyword, value, [...prefix, key]));
  }
  if (schema.items !== undefined) found.push(...collectAnnotated(schema.items, keyword, value, [...prefix, "*"]));
  for (const k of ["allOf", "anyOf", "oneOf"]) {
    if (Array.isArray(schema[k])) for (const sub of schema[k]) found.push(...collectAnnotated(sub, keyword, value, prefix));
  }
  return found;
}

function toReport(errors: readonly ErrorObject[] | null | undefined, schemaId: string): ReportEntry[] {
  return (errors ?? []).map((e) => ({
    path: `/_instance${e.instancePath}`,
    message: `${e.message ?? e.keyword}${e.keyword === "additionalProperties" || e.keyword === "required" ? ` (${JSON.stringify(e.params)})` : ""} [${schemaId}]`,
  }));
}

export class SchemaRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #ajv: Ajv;

  constructor(options: RegistryOptions = {}) {
    this.#ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    this.#ajv.addFormat("date-time", isDateTime);
    for (const name of ["uri", "uri-reference", "email", "uuid", "date"]) this.#ajv.addFormat(name, true);
    for (const schema of BUILT_IN_SCHEMAS) this.#add(schema);
    for (const schema of options.custom ?? []) this.#add(schema);
    for (const entry of this.#entries.values()) {
      for (const parent of entry.extends) {
        if (!this.#entries.has(parent)) throw invalidSchema(`Schema ${entry.id} extends the unknown schema ${parent}`);
      }
    }
    if (options.strictComponentEditability) this.#restrictComponentFormat();
  }

  #add(schema: Record<string, unknown>): void {
    const rawId = schema.$id;
    if (typeof rawId !== "string" || rawId === "") throw invalidSchema("A schema needs a string $id");
    const id = schemaKey(rawId);
    if (this.#entries.has(id)) throw invalidSchema(`The schema ${id} is registered twice`);
    const ext = schema["meta:extends"];
    const parents = (Array.isArray(ext) ? ext : ext === undefined ? [] : [ext]).map((p) => schemaKey(String(p)));
    let validate: ValidateFunction;
    try {
      validate = this.#ajv.compile({ ...schema, $id: id });
    } catch (err) {
      throw invalidSchema(`The schema ${id} does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
    const own = (kw: string, v: boolean) => collectAnnotated(schema, kw, v);
    this.#entries.set(id, {
      id,
      extends: parents,
      idType: id.replace(/\/+$/, "").split("/").pop() ?? id,
      hasAtId: isPlainObject(schema.properties) && "@id" in schema.properties,
      immutable: own("meta:immutable", true),
      notUserEditable: own("meta:usereditable", false),
      validate,
    });
  }

  #restrictComponentFormat(): void {
    for (const entry of this.#entries.values()) {
      if (!entry.immutable.some((p) => p.join("/").startsWith("xdm:representations/*/xdm:components/*"))) continue;
      const base = ["xdm:representations", "*", "xdm:components", "*"];
      entry.notUserEditable = [...entry.notUserEditable, [...base, "dc:format"], [...base, "dc:language"]];
    }
  }

  /** The schema, with inherited annotations and `@id`, or undefined when it is not registered. */
  find(id: string): RegisteredSchema | undefined {
    const entry = this.#entries.get(schemaKey(id));
    if (!entry) return undefined;
    const chain = this.#chain(entry.id);
    return {
      ...entry,
      hasAtId: chain.some((e) => e.hasAtId),
      immutable: chain.flatMap((e) => e.immutable),
      notUserEditable: chain.flatMap((e) => e.notUserEditable),
    };
  }

  /** Like find(), but a missing or unknown schema is a 400 (ODE_ERR_REPO_SCHEMA_UNKNOWN). */
  require(id: string | undefined): RegisteredSchema {
    const schema = id === undefined ? undefined : this.find(id);
    if (!schema) {
      throw repoError(
        "ODE_ERR_REPO_SCHEMA_UNKNOWN",
        400,
        id === undefined ? 'The write names no schema (Content-Type parameter schema="…")' : `Unknown schema "${id}"`,
      );
    }
    return schema;
  }

  /** The schema and its ancestors, nearest first. */
  #chain(id: string, seen = new Set<string>()): Entry[] {
    const entry = this.#entries.get(id);
    if (!entry || seen.has(id)) return [];
    seen.add(id);
    return [entry, ...entry.extends.flatMap((p) => this.#chain(p, seen))];
  }

  /** Violations of `instance` against the schema and every schema it extends (empty = valid). */
  validate(id: string, instance: unknown): ReportEntry[] {
    return this.#chain(schemaKey(id)).flatMap((e) => (e.validate(instance) ? [] : toReport(e.validate.errors, e.id)));
  }

  /** Every schema related to `id` through `meta:extends` whose chain `instance` satisfies (incl. `id`). */
  memberships(id: string, instance: unknown): string[] {
    const key = schemaKey(id);
    const roots = new Set(this.#chain(key).filter((e) => e.extends.length === 0).map((e) => e.id));
    const family = [...this.#entries.values()].filter((e) => this.#chain(e.id).some((a) => roots.has(a.id)));
    return family.filter((e) => e.id === key || this.validate(e.id, instance).length === 0).map((e) => e.id);
  }

  /** true when `id` is `ancestor` or extends it (directly or not). */
  isA(id: string, ancestor: string): boolean {
    const target = schemaKey(ancestor);
    return this.#chain(schemaKey(id)).some((e) => e.id === target);
  }

  get ids(): string[] {
    return [...this.#entries.keys()];
  }
}
