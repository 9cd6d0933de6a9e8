/**
 * @module
 * A short-lived cache of topic metadata shared by one `EdgeLog`'s admin, producers and consumers, so a producer
 * does not ask the store for a partition count on every send, while the admin's own changes (deletes, new
 * partitions) are seen at once in the same process.
 */
import type { LogStore, TopicMetadata } from "./store.ts";
import { unknownTopic } from "./validation.ts";

/** How long metadata is trusted, in ms: Kafka's `metadata.max.age.ms` idea, much shorter. */
export const DEFAULT_METADATA_MAX_AGE_MS = 5_000;

export class MetadataCache {
  readonly #store: LogStore;
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, { metadata: Promise<TopicMetadata | null>; expiresAt: number }>();

  constructor(store: LogStore, maxAgeMs: number = DEFAULT_METADATA_MAX_AGE_MS) {
    this.#store = store;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The topic's metadata, or `UNKNOWN_TOPIC_OR_PARTITION`. */
  async require(topic: string): Promise<TopicMetadata> {
    const metadata = await this.get(topic);
    if (metadata === null) throw unknownTopic(topic);
    return metadata;
  }

  /** The topic's metadata or `null`; unknown topics are not cached, so a topic created elsewhere is seen. */
  get(topic: string): Promise<TopicMetadata | null> {
    const now = Date.now();
    const entry = this.#entries.get(topic);
    if (entry !== undefined && entry.expiresAt > now) return entry.metadata;
    const metadata = this.#store.getTopic(topic);
    this.#entries.set(topic, { metadata, expiresAt: now + this.#maxAgeMs });
    metadata.then(
      (value) => value === null && this.invalidate(topic),
      () => this.invalidate(topic),
    );
    return metadata;
  }

  invalidate(topic?: string): void {
    if (topic === undefined) this.#entries.clear();
    else this.#entries.delete(topic);
  }
}
