/**
 * Lists and searches: parses the query parameters and computes one page. The database answers the
 * indexed part (container, schema, `id=`, full-text candidates); property filters, exact full-text
 * matching and orderings on arbitrary properties are evaluated here over the candidates, which
 * are streamed in batches while only the best `limit + 1` items are kept. An ordering by
 * `instanceId`, `repo:createdDate` or `repo:lastModifiedDate` without filters is paged entirely by
 * the database (keyset on an index).
 */
import { referenceKey } from "./envelope";
import { matchesFilter, parsePropertyFilter, type PropertyFilter } from "./filters";
import { compareTuples, decodeStart, encodeStart, isAfterStart, parseOrderBy, sortValues, type SortKey } from "./ordering";
import { badQuery } from "./problem";
import { isDateTime, schemaKey } from "./registry";
import { analyze, matchesText, parseTextQuery, type TextQuery } from "./search";
import type { CandidateQuery, IndexedOrder, InstanceRecord, Representation, StoreReader } from "./store/port";

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export type QueryParams = Record<string, string[]>;

export interface ListRequest {
  schema?: string;
  keys: SortKey[];
  start?: string[];
  limit: number;
  filters: PropertyFilter[];
  ids?: string[];
  text?: TextQuery;
}

export interface ListPage {
  items: Representation[];
  total: number;
  /** The `start` of the next page, when more items remain. */
  nextStart?: string;
}

/** The first value of a parameter, its name matched case-insensitively. */
export function param(query: QueryParams, name: string): string | undefined {
  const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : query[key]![0];
}

const all = (query: QueryParams, name: string) => query[name] ?? [];

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw badQuery(`limit must be a positive integer, got "${text}"`);
  return Math.min(Number(text), MAX_LIMIT);
}

export function parseListRequest(query: QueryParams, search: boolean): ListRequest {
  const keys = parseOrderBy(param(query, "orderBy"));
  const startText = param(query, "start");
  // The product documentation writes `schema="…"` with the quotes in the URL: they are not part of the id.
  const schema = param(query, "schema")?.replace(/^"(.*)"$/s, "$1");
  const ids = all(query, "id");
  const text = search ? parseTextQuery(param(query, "q"), param(query, "qop"), all(query, "field")) : undefined;
  return {
    ...(schema ? { schema } : {}),
    keys,
    ...(startText !== undefined && startText !== "" ? { start: decodeStart(startText, keys) } : {}),
    limit: parseLimit(param(query, "limit")),
    filters: all(query, "property").map(parsePropertyFilter),
    ...(ids.length > 0 ? { ids } : {}),
    ...(text ? { text } : {}),
  };
}

const INDEXED_COLUMNS: Record<string, IndexedOrder["column"]> = {
  instanceId: "instance",
  "repo:createdDate": "created",
  "repo:lastModifiedDate": "modified",
};

/** The database ordering for this request, when the database alone can answer it. */
function indexedOrder(request: ListRequest): IndexedOrder | undefined {
  if (request.filters.length > 0 || request.text) return undefined;
  const [first, second] = request.keys;
  const column = first && first.path.length === 1 ? INDEXED_COLUMNS[first.path[0]!] : undefined;
  if (!column) return undefined;
  if (column === "instance" ? request.keys.length !== 1 : request.keys.length !== 2 || second!.descending) return undefined;
  if (!request.start) return { column, descending: first!.descending };
  const [value, instanceId] = column === "instance" ? ["", request.start[0]!] : [request.start[0]!, request.start[1]!];
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (column !== "instance" && Number.isNaN(ms)) throw badQuery(`start: "${value}" is not a date (epoch ms)`);
  return { column, descending: first!.descending, after: { value: column === "instance" ? instanceId : ms, instanceId } };
}

interface Ranked {
  values: unknown[];
  record: InstanceRecord;
}

/** Keeps the first `size` items in sort order (insertion into a short sorted array). */
function keepBest(best: Ranked[], item: Ranked, keys: readonly SortKey[], size: number): void {
  if (best.length === size && compareTuples(item.values, best[size - 1]!.values, keys) >= 0) return;
  let i = best.length;
  while (i > 0 && compareTuples(item.values, best[i - 1]!.values, keys) < 0) i--;
  best.splice(i, 0, item);
  if (best.length > size) best.pop();
}

/**
 * Token phrases an instance must contain to pass the request's `==` filters on `_instance` string
 * values. Only plain strings qualify (not numbers, booleans or date-times, which compare by value
 * rather than by text); for them equality implies the same tokens, so the full-text index can
 * narrow the candidates without losing a match.
 */
function equalityPhrases(filters: readonly PropertyFilter[]): string[][] {
  return filters
    .filter((f) => f.op === "==" && f.path[0] === "_instance" && f.path.length > 1)
    .map((f) => f.value!)
    .filter((v) => !/^\s*[-+]?(\d|\.\d)/.test(v) && v !== "true" && v !== "false" && !isDateTime(v) && v.trim() !== "")
    .map(analyze)
    .filter((tokens) => tokens.length > 0);
}

export async function listPage(reader: StoreReader, containerId: string, request: ListRequest): Promise<ListPage> {
  const phrases = equalityPhrases(request.filters);
  const candidates: CandidateQuery = {
    containerId,
    ...(phrases.length > 0 ? { phrases } : {}),
    ...(request.schema ? { schemaId: schemaKey(request.schema) } : {}),
    ...(request.ids ? { atKeys: request.ids.map(referenceKey) } : {}),
    ...(request.text ? { text: request.text } : {}),
  };
  const order = indexedOrder(request);
  const page = order ? await indexedPage(reader, candidates, order, request) : await evaluatedPage(reader, candidates, request);
  return page;
}

async function indexedPage(reader: StoreReader, query: CandidateQuery, order: IndexedOrder, request: ListRequest): Promise<ListPage> {
  const [records, total] = await Promise.all([reader.page(query, order, request.limit + 1), reader.count(query, order)]);
  return finish(records.map((record) => ({ record, values: sortValues(record.body, request.keys) })), total, request);
}

async function evaluatedPage(reader: StoreReader, query: CandidateQuery, request: ListRequest): Promise<ListPage> {
  const best: Ranked[] = [];
  let total = 0;
  await reader.scan(query, (batch) => {
    for (const record of batch) {
      if (!request.filters.every((f) => matchesFilter(record.body, f))) continue;
      if (request.text && !matchesText(record.body, request.text)) continue;
      const values = sortValues(record.body, request.keys);
      if (request.start && !isAfterStart(values, request.start, request.keys)) continue;
      total++;
      keepBest(best, { values, record }, request.keys, request.limit + 1);
    }
  });
  return finish(best, total, request);
}

function finish(ranked: Ranked[], total: number, request: ListRequest): ListPage {
  const items = ranked.slice(0, request.limit);
  const more = ranked.length > request.limit;
  return {
    items: items.map((r) => r.record.body),
    total,
    ...(more ? { nextStart: encodeStart(items[items.length - 1]!.values) } : {}),
  };
}
