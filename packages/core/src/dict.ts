/**
 * @module
 * Maps keyed by user-supplied strings that must stay plain JSON (group state is stored as JSON by every store):
 * objects without a prototype. `constructor`, `__proto__` and `valueOf` are valid topic and member names; on an
 * ordinary object a lookup of a missing `constructor` finds `Object`, and an assignment to `__proto__` replaces
 * the prototype instead of adding an entry. Where JSON is not needed, use a `Map`.
 */

/** A string-keyed record with no prototype: every key, whatever its name, is only ever an own entry. */
export type Dict<T> = Record<string, T>;

/**
 * A new dict, optionally filled from entries or from a record (its own enumerable entries, e.g. after
 * `JSON.parse` or `structuredClone`, which hand out ordinary objects).
 * @example
 * const members = dict<Member>(); members["__proto__"] = member; // an entry like any other
 */
export function dict<T>(from?: Iterable<readonly [string, T]> | Readonly<Record<string, T>>): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (from === undefined) return out;
  const entries = Symbol.iterator in from ? from : Object.entries(from);
  for (const [key, value] of entries as Iterable<readonly [string, T]>) out[key] = value;
  return out;
}
