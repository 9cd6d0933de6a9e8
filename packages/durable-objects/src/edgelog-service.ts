/**
 * @module
 * `EdgeLogService`: edgelog as a Workers binding. Another Worker of the account declares
 * `[[services]] binding = "EDGELOG", service = "edgelog", entrypoint = "EdgeLogService"` and calls
 * `env.EDGELOG.send(...)` over RPC — no HTTP, no token. Each method is `@edgelog/server`'s `createBinding`
 * operation over this Worker's Durable Objects, so validation, limits, rights and error codes are the HTTP API's.
 * Workers RPC keeps only an error's message, so a failure is rethrown as `toRpcError` (its JSON as message) and
 * the caller rebuilds it with `fromRpcError` / `withEdgeLogErrors` from `@edgelog/core`.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { EdgeLogError, isEdgeLogError, toRpcError } from "@edgelog/core";
import {
  type CommitOptions,
  createBinding,
  type EdgeLogBinding,
  type FetchOptions,
  type HeartbeatRequest,
  type OffsetToCommit,
  type RecordToSend,
  type SendOptions,
  type ServerEnv,
  type TopicToCreate,
} from "@edgelog/server";
import { DurableObjectLogStore } from "./durable-object-log-store.ts";
import type { EdgeLogEnv } from "./env.ts";

/** The env of the Worker that exports `EdgeLogService`: the store's bindings and the server's variables. */
export type EdgeLogServiceEnv = EdgeLogEnv & ServerEnv;

// One per isolate, like the HTTP app of the entry: `createBinding` keeps one store per env object.
const bindingFor = createBinding<EdgeLogServiceEnv>({ store: (env) => new DurableObjectLogStore(env) });

/**
 * The binding's entrypoint. Its public methods are the RPC surface (`EdgeLogBinding`); a caller types its binding
 * as `Service<EdgeLogService>` (type-only import, nothing bundled).
 */
export class EdgeLogService extends WorkerEntrypoint<EdgeLogServiceEnv> implements EdgeLogBinding {
  createTopic(topic: TopicToCreate) {
    return this.#run((api) => api.createTopic(topic));
  }
  describeTopic(topic: string) {
    return this.#run((api) => api.describeTopic(topic));
  }
  listTopics() {
    return this.#run((api) => api.listTopics());
  }
  deleteTopic(topic: string) {
    return this.#run((api) => api.deleteTopic(topic));
  }
  createPartitions(topic: string, count: number) {
    return this.#run((api) => api.createPartitions(topic, count));
  }
  alterTopicConfig(topic: string, config: Readonly<Record<string, string | number | boolean | null>>) {
    return this.#run((api) => api.alterTopicConfig(topic, config));
  }
  deleteRecords(topic: string, partition: number, beforeOffset: number) {
    return this.#run((api) => api.deleteRecords(topic, partition, beforeOffset));
  }
  send(topic: string, records: readonly RecordToSend[], options?: SendOptions) {
    return this.#run((api) => api.send(topic, records, options));
  }
  fetchRecords(topic: string, partition: number, options?: FetchOptions) {
    return this.#run((api) => api.fetchRecords(topic, partition, options));
  }
  listOffsets(topic: string, partition: number) {
    return this.#run((api) => api.listOffsets(topic, partition));
  }
  offsetForTimestamp(topic: string, partition: number, timestamp: number) {
    return this.#run((api) => api.offsetForTimestamp(topic, partition, timestamp));
  }
  heartbeat(group: string, request: HeartbeatRequest) {
    return this.#run((api) => api.heartbeat(group, request));
  }
  commitOffsets(group: string, offsets: readonly OffsetToCommit[], options?: CommitOptions) {
    return this.#run((api) => api.commitOffsets(group, offsets, options));
  }
  fetchOffsets(group: string, topics?: readonly string[]) {
    return this.#run((api) => api.fetchOffsets(group, topics));
  }
  describeGroup(group: string) {
    return this.#run((api) => api.describeGroup(group));
  }
  listGroups() {
    return this.#run((api) => api.listGroups());
  }
  deleteGroup(group: string) {
    return this.#run((api) => api.deleteGroup(group));
  }

  /** Runs one operation; a failure leaves as an RPC-safe error, an unexpected one logged and without internals. */
  async #run<T>(operation: (api: EdgeLogBinding) => Promise<T>): Promise<T> {
    try {
      return await operation(bindingFor(this.env, this.ctx));
    } catch (error) {
      if (isEdgeLogError(error)) throw toRpcError(error);
      console.error("edgelog: unexpected error in a binding call", error);
      throw toRpcError(new EdgeLogError("UNKNOWN_SERVER_ERROR", "internal error"));
    }
  }
}
