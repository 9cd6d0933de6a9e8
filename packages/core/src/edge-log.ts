/**
 * @module
 * `EdgeLog`: the entry point, shaped like KafkaJS's `Kafka` class. It binds one `LogStore` (the in-memory store
 * unless told otherwise) to admins, producers and consumers that share a metadata cache.
 */
import { Admin } from "./admin.ts";
import { Consumer, type ConsumerConfig } from "./consumer/consumer.ts";
import { ShareConsumer, type ShareConsumerConfig } from "./consumer/share-consumer.ts";
import { MemoryStore } from "./memory/memory-store.ts";
import { DEFAULT_METADATA_MAX_AGE_MS, MetadataCache } from "./metadata-cache.ts";
import { Producer, type ProducerConfig } from "./producer/producer.ts";
import { shareGroupsOf } from "./share/share-request.ts";
import type { LogStore } from "./store.ts";

export interface EdgeLogConfig {
  /** Where the log lives. Default: a new `MemoryStore`. */
  readonly store?: LogStore;
  /** A name for this client, for logs and (later) quotas. */
  readonly clientId?: string;
  /** How long topic metadata is cached, in ms. Default 5 000. */
  readonly metadataMaxAge?: number;
}

/**
 * @example
 * const log = new EdgeLog();
 * await log.admin().createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
 * await log.producer().send({ topic: "orders", messages: [{ key: "user-1", value: "created" }] });
 */
export class EdgeLog {
  readonly store: LogStore;
  readonly clientId: string;
  readonly #metadata: MetadataCache;
  readonly #ownsStore: boolean;

  constructor(config: EdgeLogConfig = {}) {
    this.#ownsStore = config.store === undefined;
    this.store = config.store ?? new MemoryStore();
    this.clientId = config.clientId ?? "edgelog";
    this.#metadata = new MetadataCache(this.store, config.metadataMaxAge ?? DEFAULT_METADATA_MAX_AGE_MS);
  }

  admin(): Admin {
    return new Admin(this.store, this.#metadata);
  }

  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this.store, this.#metadata, config);
  }

  consumer(config: ConsumerConfig = {}): Consumer {
    return new Consumer(this.store, this.#metadata, config);
  }

  /**
   * A member of a share group (KIP-932): a work queue on topics, each record acknowledged on its own.
   * `UNSUPPORTED_VERSION` when the store has no share groups.
   */
  shareConsumer(config: ShareConsumerConfig): ShareConsumer {
    return new ShareConsumer(shareGroupsOf(this.store), this.#metadata, config);
  }

  /** Closes the store if this `EdgeLog` created it; a store passed in belongs to the caller. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close();
  }
}
