/**
 * @module
 * Sets of partitions keyed by topic, as plain JSON (`{ "orders": [0, 2] }`, each list sorted), because group
 * state is stored as JSON by every store. The coordinator's reconciliation is set algebra over these.
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
  return map[topic]?.includes(partition) ?? false;
}

export function add(map: PartitionMap, topic: string, partition: number): void {
  const list = map[topic] ?? [];
  if (list.includes(partition)) return;
  list.push(partition);
  list.sort((a, b) => a - b);
  map[topic] = list;
}

export function remove(map: PartitionMap, topic: string, partition: number): void {
  const list = map[topic]?.filter((p) => p !== partition);
  if (list === undefined) return;
  if (list.length === 0) delete map[topic];
  else map[topic] = list;
}

/** Partitions of `a` that `keep` accepts. */
export function filter(a: PartitionMap, keep: (topic: string, partition: number) => boolean): PartitionMap {
  const out: PartitionMap = dict();
  for (const [topic, partitions] of Object.entries(a)) {
    for (const p of partitions) if (keep(topic, p)) add(out, topic, p);
  }
  return out;
}

export const intersect = (a: PartitionMap, b: PartitionMap): PartitionMap =>
  filter(a, (t, p) => has(b, t, p));
export const minus = (a: PartitionMap, b: PartitionMap): PartitionMap => filter(a, (t, p) => !has(b, t, p));

export function isEmpty(map: PartitionMap): boolean {
  return Object.keys(map).length === 0;
}

export function size(map: PartitionMap): number {
  let n = 0;
  for (const partitions of Object.values(map)) n += partitions.length;
  return n;
}

export function equal(a: PartitionMap, b: PartitionMap): boolean {
  return isEmpty(minus(a, b)) && isEmpty(minus(b, a));
}

/** A stored map (an ordinary object after JSON or structured clone) as a `dict` again. */
export function partitionMapOf(stored: Readonly<Record<string, number[]>>): PartitionMap {
  return dict(stored);
}

export function* entries(map: PartitionMap): Generator<[string, number]> {
  for (const topic of Object.keys(map).sort()) for (const p of map[topic] ?? []) yield [topic, p];
}
