/**
 * @module
 * Sets of partitions keyed by topic, as plain JSON (`{ "orders": [0, 2] }`, each list sorted), because group
 * state is stored as JSON by every store. The coordinator's reconciliation is set algebra over these. Every
 * operation relies on the lists being sorted and duplicate-free (what `add` and `partitionMapOf` keep): lookups
 * are binary searches and set operations are merges, so a topic of 1,000 partitions costs no more than its
 * length — the assignors and reconciliation call these once per partition.
 */
import { dict } from "../dict.ts";
import type { TopicPartitions } from "./group-types.ts";

/** Partitions per topic; every list sorted ascending and non-empty. A `dict`: topic names are the user's. */
export type PartitionMap = Record<string, number[]>;

export function fromList(list: readonly TopicPartitions[]): PartitionMap {
  const map: PartitionMap = dict();
  for (const { topic, partitions } of list) for (const p of partitions) add(map, topic, p);
  return map;
}

/** The wire form: topics in name order, partitions ascending. */
export function toList(map: PartitionMap): TopicPartitions[] {
  return Object.keys(map)
    .sort()
    .map((topic) => ({ topic, partitions: [...(map[topic] ?? [])] }));
}

export function has(map: PartitionMap, topic: string, partition: number): boolean {
  const list = map[topic];
  return list !== undefined && list[search(list, partition)] === partition;
}

export function add(map: PartitionMap, topic: string, partition: number): void {
  const list = map[topic];
  if (list === undefined) {
    map[topic] = [partition];
    return;
  }
  const at = search(list, partition);
  if (list[at] !== partition) list.splice(at, 0, partition);
}

export function remove(map: PartitionMap, topic: string, partition: number): void {
  const list = map[topic];
  if (list === undefined) return;
  const at = search(list, partition);
  if (list[at] !== partition) return;
  if (list.length === 1) delete map[topic];
  else map[topic] = [...list.slice(0, at), ...list.slice(at + 1)];
}

/** Partitions of `a` that `keep` accepts. */
export function filter(a: PartitionMap, keep: (topic: string, partition: number) => boolean): PartitionMap {
  const out: PartitionMap = dict();
  for (const topic of Object.keys(a)) {
    const kept = (a[topic] as number[]).filter((p) => keep(topic, p));
    if (kept.length > 0) out[topic] = kept;
  }
  return out;
}

export const intersect = (a: PartitionMap, b: PartitionMap): PartitionMap => merge(a, b, true);
export const minus = (a: PartitionMap, b: PartitionMap): PartitionMap => merge(a, b, false);

export function isEmpty(map: PartitionMap): boolean {
  for (const _ in map) return false;
  return true;
}

export function size(map: PartitionMap): number {
  let n = 0;
  for (const partitions of Object.values(map)) n += partitions.length;
  return n;
}

export function equal(a: PartitionMap, b: PartitionMap): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((topic) => {
    const x = a[topic] as number[];
    const y = b[topic];
    return y !== undefined && x.length === y.length && x.every((p, i) => p === y[i]);
  });
}

/**
 * A stored map (an ordinary object after JSON or structured clone) as a `dict` again, its lists sorted and
 * without duplicates as every operation here expects (state written by an older version may not be).
 */
export function partitionMapOf(stored: Readonly<Record<string, number[]>>): PartitionMap {
  const map: PartitionMap = dict();
  for (const [topic, list] of Object.entries(stored)) {
    if (list.length === 0) continue;
    map[topic] = isStrictlyAscending(list) ? list : [...new Set(list)].sort((x, y) => x - y);
  }
  return map;
}

export function* entries(map: PartitionMap): Generator<[string, number]> {
  for (const topic of Object.keys(map).sort()) for (const p of map[topic] ?? []) yield [topic, p];
}

/** The partitions of `a` that are (`inB`) or are not in `b`, topic by topic, by merging the sorted lists. */
function merge(a: PartitionMap, b: PartitionMap, inB: boolean): PartitionMap {
  const out: PartitionMap = dict();
  for (const topic of Object.keys(a)) {
    const x = a[topic] as number[];
    const y = b[topic];
    let kept: number[];
    if (y === undefined) kept = inB ? [] : [...x];
    else {
      kept = [];
      let j = 0;
      for (const p of x) {
        while (j < y.length && (y[j] as number) < p) j++;
        if ((j < y.length && y[j] === p) === inB) kept.push(p);
      }
    }
    if (kept.length > 0) out[topic] = kept;
  }
  return out;
}

/** The index of `partition` in the sorted `list`, or where it would be inserted. */
function search(list: readonly number[], partition: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < partition) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isStrictlyAscending(list: readonly number[]): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i] as number) <= (list[i - 1] as number)) return false;
  return true;
}
