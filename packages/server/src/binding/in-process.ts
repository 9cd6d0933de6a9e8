/**
 * @module
 * The binding's operations over the HTTP app, in process: each method is the request its HTTP twin would send,
 * answered by a `createApp` app that is reachable only from here (no route leads to it), so the binding has the
 * API's validation, limits, rights and error codes by construction rather than by a second implementation.
 * The cost is a JSON round trip inside the isolate — no network, no extra invocation.
 */
import { EdgeLogError } from "@edgelog/core";
import type { Context, Hono } from "hono";
import { type AppOptions, createApp } from "../app.ts";
import type { HostRights } from "../auth/config.ts";
import { intersectScopes, parseScopes, type Scopes } from "../auth/scopes.ts";
import type { AppEnv } from "../context.ts";
import type { ServerEnv } from "../env.ts";
import { fromBase64, toBase64 } from "../json-records.ts";
import type { EdgeLogBinding, FetchOptions, FetchResult, RecordToSend, SendOptions } from "./types.ts";

/** The origin of the binding's in-process requests; never resolved, never on the network. */
const ORIGIN = "https://edgelog.binding";

export interface BindingOptions<E extends ServerEnv = ServerEnv> extends Omit<AppOptions<E>, "auth"> {
  /**
   * The rights of a call through the binding. Default `bindingRights`: `"admin"`, narrowed by the Worker's
   * `EDGELOG_BINDING_SCOPES` and by the calling binding's `props.scopes`.
   */
  readonly rights?: (env: E, ctx: ExecutionContextLike | undefined) => HostRights;
}

/** Makes the binding's operations for an env and the invocation's context (`waitUntil`, the binding's `props`). */
export function createBinding<E extends ServerEnv = ServerEnv>(
  options: BindingOptions<E>,
): (env: E, ctx?: ExecutionContextLike) => EdgeLogBinding {
  const { rights = bindingRights, ...appOptions } = options;
  const app = createApp<E>({
    ...appOptions,
    // Quotas protect the API from the internet; a binding is the account's own code, as trusted as the Worker
    // itself (and has no client address to charge). A host that wants one passes `quota`.
    quota: appOptions.quota ?? "none",
    auth: { rights: (c) => rights(c.env as E, executionContextOf(c)) },
  });
  return (env, ctx) => new InProcessBinding(app, env, ctx);
}

/**
 * The default rights of a binding call: every right — a service binding is a capability only the account's own
 * deployments can hold, as with Cloudflare's own bindings — unless the edgelog Worker caps all bindings with
 * `EDGELOG_BINDING_SCOPES`, and narrowed further by the caller's `[services.props] scopes` (least privilege
 * the caller opts into; it can never widen the cap). A `scopes` that is not a string grants nothing.
 */
export function bindingRights(env: ServerEnv | undefined, ctx: ExecutionContextLike | undefined): Scopes {
  const cap = parseScopes(env?.EDGELOG_BINDING_SCOPES ?? "admin");
  const props = ctx?.props;
  if (typeof props !== "object" || props === null || !Object.hasOwn(props, "scopes")) return cap;
  return intersectScopes(cap, parseScopes((props as { scopes: unknown }).scopes));
}

function executionContextOf(c: Context): ExecutionContextLike | undefined {
  try {
    return c.executionCtx as unknown as ExecutionContextLike;
  } catch {
    // Hono throws when the request came without one (`app.request` in tests).
    return undefined;
  }
}

/** What Hono's `fetch` takes as its third argument; typed structurally so Node tests need no Workers types. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  /** A service binding's `props` (wrangler `[services.props]`), as the caller's configuration set them. */
  readonly props?: unknown;
}

type Query = Readonly<Record<string, string | number | readonly string[] | undefined>>;

class InProcessBinding implements EdgeLogBinding {
  readonly #app: Hono<AppEnv>;
  readonly #env: ServerEnv;
  readonly #ctx: ExecutionContextLike | undefined;

  constructor(app: Hono<AppEnv>, env: ServerEnv, ctx: ExecutionContextLike | undefined) {
    this.#app = app;
    this.#env = env;
    this.#ctx = ctx;
  }

  createTopic: EdgeLogBinding["createTopic"] = async (topic) => this.#call("POST", "/v1/topics", {}, topic);

  describeTopic: EdgeLogBinding["describeTopic"] = async (topic) => this.#call("GET", topicPath(topic));

  listTopics: EdgeLogBinding["listTopics"] = async () =>
    (await this.#call<{ topics: Awaited<ReturnType<EdgeLogBinding["listTopics"]>> }>("GET", "/v1/topics"))
      .topics;

  deleteTopic: EdgeLogBinding["deleteTopic"] = async (topic) => this.#call("DELETE", topicPath(topic));

  createPartitions: EdgeLogBinding["createPartitions"] = async (topic, count) =>
    this.#call("POST", `${topicPath(topic)}/partitions`, {}, { count });

  alterTopicConfig: EdgeLogBinding["alterTopicConfig"] = async (topic, config) =>
    this.#call("PATCH", topicPath(topic), {}, { config });

  deleteRecords: EdgeLogBinding["deleteRecords"] = async (topic, partition, beforeOffset) =>
    this.#call("POST", `${partitionPath(topic, partition)}/delete-records`, {}, { beforeOffset });

  send: EdgeLogBinding["send"] = async (topic, records, options = {}) => {
    const { valueFormat = "json", producer } = options as SendOptions;
    const wire = valueFormat === "bytes" ? "base64" : valueFormat;
    const body = {
      records: valueFormat === "bytes" ? bytesToBase64(records) : records,
      valueFormat: wire,
      ...(producer === undefined ? {} : { producer }),
    };
    return this.#call("POST", `${topicPath(topic)}/records`, {}, body);
  };

  fetchRecords: EdgeLogBinding["fetchRecords"] = async (topic, partition, options = {}) => {
    const { offset, limit, wait, valueFormat = "json", region } = options as FetchOptions;
    if (region !== undefined && typeof region !== "string") {
      throw new EdgeLogError("INVALID_REQUEST", "region must be a string");
    }
    const format = valueFormat === "bytes" ? "base64" : valueFormat;
    const query = { offset, limit, wait, valueFormat: format, region };
    const read = await this.#call<FetchResult>("GET", `${partitionPath(topic, partition)}/records`, query);
    return valueFormat === "bytes" ? base64ToBytes(read) : read;
  };

  listOffsets: EdgeLogBinding["listOffsets"] = async (topic, partition) =>
    this.#call("GET", `${partitionPath(topic, partition)}/offsets`);

  offsetForTimestamp: EdgeLogBinding["offsetForTimestamp"] = async (topic, partition, timestamp) =>
    this.#call("GET", `${partitionPath(topic, partition)}/offsets`, { timestamp });

  heartbeat: EdgeLogBinding["heartbeat"] = async (group, request) =>
    this.#call("POST", `${groupPath(group)}/heartbeat`, {}, request);

  commitOffsets: EdgeLogBinding["commitOffsets"] = async (group, offsets, options = {}) =>
    this.#call("POST", `${groupPath(group)}/offsets`, {}, { ...options, offsets });

  fetchOffsets: EdgeLogBinding["fetchOffsets"] = async (group, topics = []) =>
    (
      await this.#call<{ offsets: Awaited<ReturnType<EdgeLogBinding["fetchOffsets"]>> }>(
        "GET",
        `${groupPath(group)}/offsets`,
        { topic: stringList(topics, "topics") },
      )
    ).offsets;

  describeGroup: EdgeLogBinding["describeGroup"] = async (group) => this.#call("GET", groupPath(group));

  listGroups: EdgeLogBinding["listGroups"] = async () =>
    (await this.#call<{ groups: { group: string }[] }>("GET", "/v1/groups")).groups.map((g) => g.group);

  deleteGroup: EdgeLogBinding["deleteGroup"] = async (group) => this.#call("DELETE", groupPath(group));

  // Every method is `async`, so a bad argument rejects like any other error instead of throwing synchronously.

  /** Sends one request to the app; answers its JSON, `undefined` for a 204, or throws its `EdgeLogError`. */
  async #call<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    const url = new URL(`${ORIGIN}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
    }
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = toJson(body);
      init.headers = { "Content-Type": "application/json" };
    }
    const response = await this.#app.fetch(new Request(url, init), this.#env, this.#ctx as never);
    if (response.status === 204) return undefined as T;
    const answer = (await response.json()) as { error?: unknown };
    if (!response.ok) throw EdgeLogError.fromJSON(answer.error);
    return answer as T;
  }
}

/** A call's arguments as the JSON body of its HTTP twin; what JSON cannot hold (a BigInt, a cycle) is a 400. */
function toJson(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    throw new EdgeLogError("INVALID_REQUEST", "the arguments cannot be represented as JSON", {
      cause: error,
    });
  }
}

/**
 * A name argument: a string, percent-encoded as a path segment (group ids may hold `/`). `.` and `..` are
 * refused: URL parsing would resolve them as dot segments and address another route (`encodeURIComponent`
 * leaves dots as they are, and turns a `%2e` of the name into `%252e`, which is no dot segment).
 */
function segment(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new EdgeLogError("INVALID_REQUEST", `${what} must be a string`, {
      context: { [what]: typeof value },
    });
  }
  const encoded = encodeURIComponent(value);
  if (encoded === "." || encoded === "..") {
    throw new EdgeLogError("INVALID_REQUEST", `${what} "${value}" cannot be addressed`, {
      context: { [what]: value },
    });
  }
  return encoded;
}

function partitionNumber(value: unknown): string {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new EdgeLogError("INVALID_REQUEST", "partition must be an integer");
  }
  return String(value);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new EdgeLogError("INVALID_REQUEST", `${what} must be an array of strings`);
  }
  return value;
}

const topicPath = (topic: unknown): string => `/v1/topics/${segment(topic, "topic")}`;
const partitionPath = (topic: unknown, partition: unknown): string =>
  `${topicPath(topic)}/partitions/${partitionNumber(partition)}`;
const groupPath = (group: unknown): string => `/v1/groups/${segment(group, "group")}`;

/** `bytes` records as the `base64` records of HTTP; a value that is not bytes is the record's 400. */
function bytesToBase64(records: readonly RecordToSend[]): unknown {
  if (!Array.isArray(records)) return records;
  return records.map((record: unknown, index) => {
    if (typeof record !== "object" || record === null || !("value" in record)) return record;
    const { value } = record as { value: unknown };
    if (value === null) return record;
    if (!(value instanceof Uint8Array)) {
      throw new EdgeLogError(
        "INVALID_RECORD",
        `record ${index}: with valueFormat "bytes", \`value\` must be a Uint8Array or null`,
        { context: { index } },
      );
    }
    return { ...record, value: toBase64(value) };
  });
}

function base64ToBytes(read: FetchResult): FetchResult {
  return {
    ...read,
    records: read.records.map((record) => ({
      ...record,
      value: typeof record.value === "string" ? fromBase64(record.value) : record.value,
    })),
  };
}
