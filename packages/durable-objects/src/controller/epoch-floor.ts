/**
 * @module
 * The leader epochs a caller has seen, per topic and partition, so it never steps back to older metadata (Kafka's
 * KIP-320: a client ignores metadata whose leader epoch is older than one it knows). Controller reads are answered
 * by the first replica reached, which may have missed an election while its region was cut off; a caller that
 * already saw the newer epoch recognises the stale answer and asks for the quorum's state instead.
 */
import type { PartitionReplication } from "@edgelog/core/store-kit";

/** Topics remembered at most (the oldest is forgotten first; forgetting only costs the check). */
export const MAX_EPOCH_FLOOR_TOPICS = 1_024;

export interface EpochSource {
  readonly metadata: { readonly topicId: string };
  readonly replication: readonly PartitionReplication[] | null;
}

export class EpochFloor {
  readonly #topics = new Map<string, { readonly topicId: string; readonly epochs: number[] }>();

  /** Remembers a description's epochs (a topic id not seen before replaces the entry: a re-created topic). */
  observe(topic: string, source: EpochSource): void {
    if (source.replication === null) return;
    const known = this.#topics.get(topic);
    const epochs = known?.topicId === source.metadata.topicId ? known.epochs : [];
    source.replication.forEach((r, partition) => {
      epochs[partition] = Math.max(epochs[partition] ?? 0, r.leaderEpoch);
    });
    this.#topics.delete(topic);
    this.#topics.set(topic, { topicId: source.metadata.topicId, epochs });
    if (this.#topics.size > MAX_EPOCH_FLOOR_TOPICS) {
      const oldest = this.#topics.keys().next().value;
      if (oldest !== undefined) this.#topics.delete(oldest);
    }
  }

  /** One partition's epoch, from an election's answer. */
  observePartition(topic: string, partition: number, leaderEpoch: number): void {
    const known = this.#topics.get(topic);
    if (known !== undefined) known.epochs[partition] = Math.max(known.epochs[partition] ?? 0, leaderEpoch);
  }

  /** Whether `source` is older than what was seen: some partition of the same topic id at a lower epoch. */
  isStale(topic: string, source: EpochSource): boolean {
    const known = this.#topics.get(topic);
    if (known === undefined || known.topicId !== source.metadata.topicId) return false;
    return known.epochs.some(
      (epoch, partition) => (source.replication?.[partition]?.leaderEpoch ?? epoch) < epoch,
    );
  }
}
