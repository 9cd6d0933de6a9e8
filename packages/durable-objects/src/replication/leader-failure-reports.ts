/**
 * @module
 * The store's side of failover detection: which failed calls into a partition's leader are worth telling the
 * controller about. One report per partition per isolate per second is enough — the controller keeps the first
 * failure time and probes the leader itself — so a flood of failing produces costs the controller one call a
 * second per isolate, not one per produce. The table is per isolate (like the metadata cache) and bounded.
 */

/** Least time between two reports of one partition from one isolate. */
export const REPORT_INTERVAL_MS = 1_000;
/** Partitions one isolate remembers reporting (least recently reported forgotten first). */
export const MAX_REPORTED_PARTITIONS = 1_000;

/** Last report time by partition key (a Map: topic names are user strings). Insertion order = report order. */
const reported = new Map<string, number>();

/** Whether a failure of the leader of `topic`/`partition` (in the log under `prefix`) is reported now; if so, notes it. */
export function shouldReportLeaderFailure(
  prefix: string,
  topic: string,
  partition: number,
  now: number,
): boolean {
  const key = `${prefix}\u0000${topic}\u0000${partition}`;
  const last = reported.get(key);
  if (last !== undefined && now - last < REPORT_INTERVAL_MS) return false;
  reported.delete(key);
  reported.set(key, now);
  if (reported.size > MAX_REPORTED_PARTITIONS) {
    const oldest = reported.keys().next().value;
    if (oldest !== undefined) reported.delete(oldest);
  }
  return true;
}
