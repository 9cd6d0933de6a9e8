/**
 * @module
 * The Messages screen's filters as one predicate: the key (exact or prefix) and the value (a substring of its
 * text, or a JSON path, json-path.ts). An empty field filters nothing; a bad JSON path is an error the form shows,
 * never a filter that silently matches nothing.
 */
import { type ConsoleRecord, jsonText } from "./console-record.ts";
import { parseJsonPath } from "./json-path.ts";

export type KeyMatch = "exact" | "prefix";
export type ValueMatch = "text" | "jsonpath";

export interface FilterSpec {
  readonly key: string;
  readonly keyMatch: KeyMatch;
  readonly value: string;
  readonly valueMatch: ValueMatch;
}

export const NO_FILTER: FilterSpec = { key: "", keyMatch: "exact", value: "", valueMatch: "text" };

/** Bounds a typed or linked filter: a key is at most 8 KiB anyway (docs/http-api.md "Limits"). */
export const MAX_FILTER_CHARS = 8_192;

export type RecordPredicate = (record: ConsoleRecord) => boolean;

export function isFiltering(spec: FilterSpec): boolean {
  return spec.key !== "" || spec.value.trim() !== "";
}

/** The text a substring filter searches: JSON as the server sent it, text as text; binary has no text. */
function valueText(record: ConsoleRecord): string | null {
  if (record.valueFormat === "base64") return null;
  if (record.valueFormat === "text") return record.value as string;
  return record.value === null ? null : jsonText(record.value);
}

/**
 * The predicate of `spec`, or `null` when it filters nothing. Throws `INVALID_REQUEST` for a bad JSON path.
 * @example
 * compileFilter({ key: "user-", keyMatch: "prefix", value: "$.total > 10", valueMatch: "jsonpath" })
 */
export function compileFilter(spec: FilterSpec): RecordPredicate | null {
  if (!isFiltering(spec)) return null;
  const tests: RecordPredicate[] = [];
  const { key } = spec;
  if (key !== "") {
    tests.push((record) =>
      record.key === null
        ? false
        : spec.keyMatch === "exact"
          ? record.key === key
          : record.key.startsWith(key),
    );
  }
  const value = spec.value.trim();
  if (value !== "" && spec.valueMatch === "jsonpath") {
    const path = parseJsonPath(value);
    // Only values that are JSON have members; text and binary values never match a path.
    tests.push((record) => record.valueFormat === undefined && path.matches(record.value));
  } else if (value !== "") {
    const needle = spec.value;
    tests.push((record) => valueText(record)?.includes(needle) ?? false);
  }
  return (record) => tests.every((test) => test(record));
}
