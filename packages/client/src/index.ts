/**
 * @module
 * `@edgelog/client`: edgelog's `EdgeLog` API against a remote edgelog server, over `fetch` only (Node, browsers,
 * Workers). It implements core's `LogStore` over HTTP and hands it to core's `EdgeLog`, so code written against
 * `@edgelog/core` runs unchanged against a server.
 */
import {
  type Consumer,
  type ConsumerConfig,
  EdgeLog,
  type EdgeLogConfig,
  type Producer,
  type ProducerConfig,
  type RetryOptions,
} from "@edgelog/core";
import { HttpLogStore, type HttpLogStoreOptions } from "./http-log-store.ts";

/**
 * The retry budget of a client's producers and consumers unless they set their own: about 13–26 s of backoff over
 * 10 retries, so a send or a fetch outlasts a partition's leader change (the region refusing until the election,
 * then `acks: "all"` waiting for the in-sync set) instead of failing after core's ~3 s. Kafka's producer bounds the
 * same with `delivery.timeout.ms`, 2 minutes by default.
 */
export const CLIENT_RETRY: Required<RetryOptions> = {
  retries: 10,
  initialRetryTime: 100,
  maxRetryTime: 5_000,
  multiplier: 2,
};

export interface ClientOptions extends HttpLogStoreOptions {
  /** A name for this client, for logs. */
  readonly clientId?: string;
  /** How long topic metadata is cached, in ms. Default 5 000. */
  readonly metadataMaxAge?: number;
  /** The retry budget of this client's producers and consumers unless they set `retry`. Default `CLIENT_RETRY`. */
  readonly retry?: RetryOptions;
}

/**
 * An `EdgeLog` whose admins, producers and consumers talk to the edgelog server at `options.url`.
 * `log.close()` closes the HTTP store, aborting requests in flight.
 * @example
 * const log = createClient({ url: "https://edgelog.example.workers.dev", token: () => fetchToken() });
 * await log.producer().send({ topic: "orders", messages: [{ key: "user-1", value: "created" }] });
 */
export function createClient(options: ClientOptions): EdgeLog {
  const { clientId, metadataMaxAge, retry, ...storeOptions } = options;
  const store = new HttpLogStore(storeOptions);
  return new RemoteEdgeLog(
    {
      store,
      ...(clientId === undefined ? {} : { clientId }),
      ...(metadataMaxAge === undefined ? {} : { metadataMaxAge }),
    },
    retry ?? CLIENT_RETRY,
  );
}

/**
 * `EdgeLog` closes only stores it created itself; `createClient` created this one for it, so it closes it. Its
 * producers and consumers retry over the network's budget, not core's in-process one.
 */
class RemoteEdgeLog extends EdgeLog {
  readonly #retry: RetryOptions;

  constructor(config: EdgeLogConfig, retry: RetryOptions) {
    super(config);
    this.#retry = retry;
  }

  override producer(config: ProducerConfig = {}): Producer {
    return super.producer({ retry: this.#retry, ...config });
  }

  override consumer(config: ConsumerConfig = {}): Consumer {
    return super.consumer({ retry: this.#retry, ...config });
  }

  override async close(): Promise<void> {
    await super.close();
    await this.store.close();
  }
}

// The user API, re-exported so a client needs one import.
export {
  type ConsumedRecord,
  decodeJson,
  decodeText,
  EdgeLog,
  type EdgeLogConfig,
  EdgeLogError,
  type ErrorCode,
  encodeJson,
  isEdgeLogError,
} from "@edgelog/core";
// The binary endpoints' content types and frame codec are core's, shared with the server.
export { BATCH_CONTENT_TYPE, BATCHES_CONTENT_TYPE, decodeFrames } from "@edgelog/core/store-kit";
export {
  HttpLogStore,
  type HttpLogStoreOptions,
  type PartitionLeadership,
  type TailOptions,
} from "./http-log-store.ts";
export type { LiveWebSocket, LiveWebSocketConstructor } from "./socket-feed.ts";
export { readSse, type SseEvent, SseParser } from "./sse.ts";
export type { TokenOption } from "./token-source.ts";
