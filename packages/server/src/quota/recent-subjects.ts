/**
 * @module
 * The bounded per-subject table both quota gates keep: a `Map` in least-recently-used order, so an isolate or a
 * process that sees endless subjects (rotating addresses, many tokens) holds at most `max` of them.
 */

/**
 * The entry of `subject`, made by `create` when absent, and marked most recently used; at `max` entries the least
 * recently used is forgotten first.
 */
export function recentEntry<V>(table: Map<string, V>, subject: string, max: number, create: () => V): V {
  let entry = table.get(subject);
  if (entry === undefined) {
    entry = create();
    if (table.size >= max) {
      const oldest = table.keys().next().value;
      if (oldest !== undefined) table.delete(oldest);
    }
  } else {
    // Re-inserted below: a Map iterates in insertion order, so the oldest key is always the least recently used.
    table.delete(subject);
  }
  table.set(subject, entry);
  return entry;
}
