/**
 * @module
 * What the Messages screen shows, as the hash query holds it, so a link reopens the same place:
 * `#/topics/{t}/messages?partition=0&from=offset&offset=41&key=user-&keyMatch=prefix&value=$.total>10&valueMatch=jsonpath&live=1`.
 * Parsing never throws: a hand-edited link with a bad part falls back to the default for that part and says so.
 */
import {
  type FilterSpec,
  type KeyMatch,
  MAX_FILTER_CHARS,
  NO_FILTER,
  type ValueMatch,
} from "./record-filter.ts";

export type StartPosition =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "offset"; readonly offset: number }
  | { readonly kind: "time"; readonly timestampMs: number };

export interface BrowseQuery {
  /** One partition, or `null` for all of them interleaved. */
  readonly partition: number | null;
  readonly from: StartPosition;
  readonly filter: FilterSpec;
  readonly live: boolean;
}

export const DEFAULT_QUERY: BrowseQuery = {
  partition: null,
  from: { kind: "latest" },
  filter: NO_FILTER,
  live: false,
};

function nonNegativeInteger(text: string | null): number | null {
  if (text === null || !/^\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** A time as ms since the epoch, or an ISO date (`2026-01-05T10:00:00Z`) as people paste it. */
export function parseTime(text: string): number | null {
  const trimmed = text.trim();
  const ms = nonNegativeInteger(trimmed);
  if (ms !== null) return ms;
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return null;
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) || parsed < 0 ? null : parsed;
}

function parseFrom(params: URLSearchParams, problems: string[]): StartPosition {
  const from = params.get("from");
  switch (from) {
    case null:
    case "latest":
      return { kind: "latest" };
    case "earliest":
      return { kind: "earliest" };
    case "offset": {
      const offset = nonNegativeInteger(params.get("offset"));
      if (offset !== null) return { kind: "offset", offset };
      problems.push(`"${params.get("offset") ?? ""}" is not an offset: showing the latest records`);
      return { kind: "latest" };
    }
    case "time": {
      const timestampMs = parseTime(params.get("time") ?? "");
      if (timestampMs !== null) return { kind: "time", timestampMs };
      problems.push(`"${params.get("time") ?? ""}" is not a time: showing the latest records`);
      return { kind: "latest" };
    }
    default:
      problems.push(`"${from}" is not a start position: showing the latest records`);
      return { kind: "latest" };
  }
}

/** The query's browse state, and what in it was ignored. */
export function parseBrowseQuery(params: URLSearchParams): { query: BrowseQuery; problems: string[] } {
  const problems: string[] = [];
  const partitionText = params.get("partition");
  const partition =
    partitionText === null || partitionText === "all" ? null : nonNegativeInteger(partitionText);
  if (partitionText !== null && partitionText !== "all" && partition === null) {
    problems.push(`"${partitionText}" is not a partition: showing all partitions`);
  }
  const keyMatch: KeyMatch = params.get("keyMatch") === "prefix" ? "prefix" : "exact";
  const valueMatch: ValueMatch = params.get("valueMatch") === "jsonpath" ? "jsonpath" : "text";
  return {
    query: {
      partition,
      from: parseFrom(params, problems),
      filter: {
        key: (params.get("key") ?? "").slice(0, MAX_FILTER_CHARS),
        keyMatch,
        value: (params.get("value") ?? "").slice(0, MAX_FILTER_CHARS),
        valueMatch,
      },
      live: params.get("live") === "1",
    },
    problems,
  };
}

/** The hash query of `query` (for `href`), leaving out what is the default so links stay short. */
export function browseQueryParams(query: BrowseQuery): Record<string, string> {
  const out = new Map<string, string>();
  if (query.partition !== null) out.set("partition", String(query.partition));
  if (query.from.kind !== "latest") out.set("from", query.from.kind);
  if (query.from.kind === "offset") out.set("offset", String(query.from.offset));
  if (query.from.kind === "time") out.set("time", new Date(query.from.timestampMs).toISOString());
  const { filter } = query;
  if (filter.key !== "") {
    out.set("key", filter.key);
    if (filter.keyMatch !== "exact") out.set("keyMatch", filter.keyMatch);
  }
  if (filter.value !== "") {
    out.set("value", filter.value);
    if (filter.valueMatch !== "text") out.set("valueMatch", filter.valueMatch);
  }
  if (query.live) out.set("live", "1");
  return Object.fromEntries(out);
}

/** "All partitions" merges reads of every partition per page: past this many, pick one. */
export const MAX_MERGED_PARTITIONS = 64;

/** Why a topic of `partitions` partitions cannot be shown as asked (`partition`: one, or `null` for all), if so. */
export function browseRefusal(topic: string, partitions: number, partition: number | null): string | null {
  if (partition !== null && partition >= partitions) {
    return `Partition ${partition} does not exist: "${topic}" has ${partitions}.`;
  }
  if (partition === null && partitions > MAX_MERGED_PARTITIONS) {
    return `"${topic}" has ${partitions} partitions: choose one to browse (all are merged up to ${MAX_MERGED_PARTITIONS}).`;
  }
  return null;
}

/** Whether two queries load the same records (live differs only in following; the window is kept). */
export function sameSource(a: BrowseQuery, b: BrowseQuery): boolean {
  return JSON.stringify([a.partition, a.from, a.filter]) === JSON.stringify([b.partition, b.from, b.filter]);
}
