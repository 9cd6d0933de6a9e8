// Property-based fuzzing of every route of the app (`/v1` and `/ds`) over a MemoryStore. Requests come from a model
// of each route (method, path parameters, query, headers, body), filled with valid values, random ones and a
// dictionary of hostile strings and numbers. Properties, for every request:
// - it finishes (waits and long-polls are kept to a few ms) and never answers a 5xx;
// - a `/v1` refusal is a JSON `{ error: { code, message } }` whose code is one of core's and whose status is that
//   code's status in core's table;
// - a refusal (any 4xx) writes nothing: topics, partition bounds, groups, their members and committed offsets are
//   the same before and after.
// fast-check prints the seed and the shrunk request list of any failure; replay one with `{ seed, path }`.
import { EdgeLogError, encodeBatch, type LogRecord, type MemoryStore } from "@edgelog/core";
import { BATCH_CONTENT_TYPE, HTTP_STATUS_BY_CODE, RECORD_CAPS } from "@edgelog/core/store-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { streamForTopic } from "../src/ds/names.ts";
import { setup } from "./helpers.ts";

// ---------------------------------------------------------------------------------------------------------------
// The request model

interface FuzzRequest {
  readonly method: string;
  /** Path segments, each encoded when the URL is built (or sent raw when `raw`). */
  readonly segments: readonly (string | { raw: string })[];
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** Strings that broke or could break a server: object properties, path tricks, bad Unicode, extremes. */
const HOSTILE_STRINGS = [
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "prototype",
  ".",
  "..",
  "%2e%2e",
  "%2F",
  "a/b",
  "\uD800",
  "\uDC00x",
  "\u0000",
  "nul\u0000byte",
  "",
  " ",
  "😀",
  "é",
  "x".repeat(249),
  "x".repeat(250),
  "y".repeat(5_000),
  "-1",
  "-0",
  "0",
  "1e308",
  "NaN",
  "Infinity",
  "99999999999999999999",
  "9007199254740993",
  "0x10",
  "1.5",
  "null",
  "true",
  "[]",
  "{}",
  "earliest",
  "latest",
  "orders",
  "g",
  "m1",
  "chat",
] as const;

/** Numbers at the edges: negative, -0, huge, fractional, and integers past 2^53. */
const HOSTILE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  2,
  1.5,
  -1.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  10_001,
] as const;

/** Names the seeded state has, so some requests reach deep into the routes. */
const TOPICS = ["orders", "chat"] as const;
const GROUP = "g";
const MEMBER = "m1";

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
const anyString = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
);
/** A name that passes validation, so requests go past it (to create, or to find nothing). */
const plainName = fc.stringMatching(/^[a-z][a-z0-9._-]{0,7}$/);
const topicName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...TOPICS) },
  { weight: 1, arbitrary: plainName },
  { weight: 1, arbitrary: anyString },
);
const groupName = fc.oneof(
  { weight: 8, arbitrary: fc.constant(GROUP) },
  { weight: 1, arbitrary: plainName },
  { weight: 1, arbitrary: anyString },
);
/** An integer in `min..max`, now and then one below or above it. */
function mostly(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min, max }) },
    { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1) },
  );
}
/** Usually `good`, now and then `bad`. */
function usually<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad });
}
/** Usually absent: for optional fields and headers that only some requests should carry. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
}
const number = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -2, max: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.double() },
);
/** A JSON value of any type, for fields that expect one type. */
const jsonJunk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: number },
  { weight: 2, arbitrary: anyString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, [], {}, [[[]]], { __proto__: null }, [1, "a", null]),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
/**
 * A field's value: usually of the right kind (which may itself be hostile, like a topic named `__proto__`), now
 * and then junk of another type or missing (`undefined` drops the key). Rare enough that most requests get past
 * validation and reach the store.
 */
function field<T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 30, arbitrary: good },
    { weight: 1, arbitrary: jsonJunk },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}
const partitionText = usually(mostly(0, 1).map(String), anyString);
/** Query values, with valid waits only ever a few ms so every request finishes. */
const shortWait = usually(
  fc.constantFrom("0", "1", "2"),
  fc.constantFrom("-1", "1e308", "NaN", "-0", "1.5", "x"),
);
const offsetText = usually(
  fc.oneof(mostly(0, 4).map(String), fc.constantFrom("earliest", "latest")),
  fc.oneof(fc.constantFrom("-1", "-0", "1e308", "99999999999999999999"), anyString),
);

/** Object keys a body may carry besides the real ones: the object-property names and random ones. */
const junkKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "toString", "valueOf"),
  fc.string({ maxLength: 6 }),
);

/** A JSON object from a record of field arbitraries, with sometimes an extra hostile key. */
function jsonObject(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  return fc.tuple(fc.record(fields), rarely(fc.tuple(junkKey, jsonJunk))).map(([value, extra]) => {
    // A null-prototype object so a generated `__proto__` key is written as a plain JSON member.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
    if (extra !== undefined) out[extra[0]] = extra[1];
    return JSON.stringify(out);
  });
}

/** A JSON body: the model's, or garbage, a truncation of the model's, another JSON type, or nothing. */
function jsonBody(model: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 24, arbitrary: model },
    { weight: 1, arbitrary: model.chain((text) => fc.nat(text.length).map((n) => text.slice(0, n))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("null", "[]", "1", '"x"', "{", "", "{}", '{"__proto__":{"x":1}}'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const jsonContentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      BATCH_CONTENT_TYPE,
      "",
    ),
  },
);

function post(
  segments: fc.Arbitrary<FuzzRequest["segments"]>,
  body: fc.Arbitrary<string | undefined>,
  method: fc.Arbitrary<string> = fc.constant("POST"),
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({ method, segments, body, type: jsonContentType })
    .map(({ method, segments, body, type }) => ({
      method,
      segments,
      query: [],
      headers: type === "" ? {} : { "Content-Type": type },
      ...(body === undefined ? {} : { body }),
    }));
}

function get(
  segments: fc.Arbitrary<FuzzRequest["segments"]>,
  query: fc.Arbitrary<[string, string][]> = fc.constant([]),
  method: fc.Arbitrary<string> = fc.constant("GET"),
  headers: fc.Arbitrary<Record<string, string>> = fc.constant({}),
): fc.Arbitrary<FuzzRequest> {
  return fc.record({ method, segments, query, headers });
}

/** Optional query parameters: each present or not. */
function queryOf(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<[string, string][]> {
  const entries = Object.entries(params).map(([name, value]) =>
    fc.option(
      value.map((v) => [name, v] as [string, string]),
      { nil: undefined },
    ),
  );
  return fc.tuple(...entries).map((list) => list.filter((e): e is [string, string] => e !== undefined));
}

const config = fc.dictionary(
  fc.oneof(
    fc.constantFrom("retention.ms", "retention.bytes", "max.message.bytes", "cleanup.policy"),
    junkKey,
  ),
  jsonJunk,
  { maxKeys: 3 },
);

const topicsRoutes = fc.oneof(
  get(fc.constant(["v1", "topics"])),
  post(
    fc.constant(["v1", "topics"]),
    jsonBody(
      jsonObject({
        name: field(topicName),
        partitions: field(fc.integer({ min: 1, max: 4 })),
        config: field(config),
        regions: fc.option(fc.oneof(fc.constant(["wnam"]), fc.array(anyString, { maxLength: 3 }), jsonJunk), {
          nil: undefined,
          freq: 4,
        }),
      }),
    ),
  ),
  get(
    topicName.map((t) => ["v1", "topics", t]),
    fc.constant([]),
    fc.constantFrom("GET", "DELETE", "HEAD", "PUT", "PATCH"),
  ),
  post(
    topicName.map((t) => ["v1", "topics", t, "partitions"]),
    jsonBody(jsonObject({ count: field(fc.integer({ min: 1, max: 5 })) })),
  ),
);

/** A size at a record cap or one past it (RECORD_CAPS), so the fuzzer meets both sides of every cap. */
const atCap = (cap: number) => fc.constantFrom(cap, cap + 1);
/** Headers at and over each cap: their count, a name's bytes, a value's bytes and all of them together. */
const headersAtCaps = fc.oneof(
  atCap(RECORD_CAPS.maxHeaders).map((count) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`h${i}`, "v"])),
  ),
  atCap(RECORD_CAPS.maxHeaderNameBytes).map((bytes) => ({ ["n".repeat(bytes)]: null })),
  atCap(RECORD_CAPS.maxHeaderValueBytes).map((bytes) => ({ h: "v".repeat(bytes) })),
  atCap(RECORD_CAPS.maxHeadersBytes / RECORD_CAPS.maxHeaderValueBytes).map((count) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`${i}`, "v".repeat(RECORD_CAPS.maxHeaderValueBytes - 1)]),
    ),
  ),
);
/** Record headers: an object of strings (or null), keyed by anything, `__proto__` included; now and then at the caps. */
const recordHeaders = fc.oneof(
  { weight: 9, arbitrary: fc.dictionary(fc.oneof(anyString, junkKey), fc.option(anyString), { maxKeys: 3 }) },
  { weight: 1, arbitrary: headersAtCaps },
);
/** Record keys, now and then at the key cap or one byte past it. */
const recordKey = fc.oneof(
  { weight: 9, arbitrary: fc.oneof(fc.constantFrom("k1", "k2"), anyString) },
  { weight: 1, arbitrary: atCap(RECORD_CAPS.maxKeyBytes).map((bytes) => "k".repeat(bytes)) },
);
/** Values that fit each `valueFormat` (absent means JSON). */
const VALUES_BY_FORMAT: readonly [string | undefined, fc.Arbitrary<unknown>][] = [
  [undefined, fc.jsonValue({ maxDepth: 2 })],
  ["json", fc.jsonValue({ maxDepth: 2 })],
  ["text", fc.oneof(anyString, fc.constant(null))],
  ["base64", fc.oneof(fc.base64String({ maxLength: 12 }), fc.constant(null))],
];
function jsonRecord(value: fc.Arbitrary<unknown>) {
  return fc.record({
    key: fc.option(field(recordKey), { nil: undefined }),
    value: field(value),
    headers: fc.option(field(recordHeaders), { nil: undefined, freq: 3 }),
    partition: fc.option(field(mostly(0, 1)), { nil: undefined, freq: 3 }),
    timestamp: rarely(
      field(usually(fc.constantFrom(0, 1_764_000_000_000), fc.constantFrom(-1, 1.5, 8.64e15 + 1))),
    ),
  });
}
const producer = fc.record({
  id: field(fc.oneof(fc.constant("p1"), anyString)),
  epoch: field(fc.integer({ min: 0, max: 2 })),
  sequences: field(
    fc.dictionary(
      fc.oneof({ weight: 4, arbitrary: fc.constantFrom("0", "1") }, { weight: 1, arbitrary: junkKey }),
      field(fc.integer({ min: 0, max: 3 })),
      {
        minKeys: 1,
        maxKeys: 2,
      },
    ),
  ),
});
const produceRoute = post(
  topicName.map((t) => ["v1", "topics", t, "records"]),
  jsonBody(
    fc.constantFrom(...VALUES_BY_FORMAT).chain(([valueFormat, value]) =>
      jsonObject({
        records: field(
          fc.array(
            jsonRecord(fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: jsonJunk })),
            { minLength: 1, maxLength: 4 },
          ),
        ),
        valueFormat: fc.constant(valueFormat),
        producer: fc.option(producer, { nil: undefined, freq: 3 }),
      }),
    ),
  ),
);

/** CRC-32C (Castagnoli), to re-seal a mutated batch so it gets past the checksum to the structural checks. */
const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function resealCrc(batch: Uint8Array): void {
  if (batch.length < 7) return;
  let crc = 0xffffffff;
  for (let i = 7; i < batch.length; i++)
    crc = (CRC32C_TABLE[(crc ^ (batch[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(3, (crc ^ 0xffffffff) >>> 0, true);
}

/**
 * A valid batch, then maybe mutated: byte edits (re-sealed with a valid CRC or not), truncation. Producer stamps
 * include the edges of the int32 fields, so a batch's last sequence can pass 2^31 - 1.
 */
const batchBody: fc.Arbitrary<Uint8Array> = fc
  .record({
    values: fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 3 }),
    producer: fc.option(
      fc.record({
        producerId: fc.constantFrom("p1", "__proto__", "constructor"),
        producerEpoch: usually(fc.integer({ min: 0, max: 2 }), fc.constant(2 ** 31 - 1)),
        baseSequence: usually(fc.integer({ min: 0, max: 3 }), fc.constantFrom(2 ** 31 - 2, 2 ** 31 - 1)),
      }),
      { nil: undefined },
    ),
    edits: rarely(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
    ),
    reseal: fc.boolean(),
    cut: rarely(fc.nat()),
  })
  .map(({ values, producer, edits, reseal, cut }) => {
    const records: LogRecord[] = values.map((value) => ({
      key: null,
      value,
      headers: [],
      timestamp: 1_764_000_000_000,
    }));
    let batch: Uint8Array = encodeBatch(records, producer);
    for (const [at, value] of edits ?? []) batch[at % batch.length] = value;
    if (cut !== undefined) batch = batch.slice(0, cut % (batch.length + 1));
    if (reseal) resealCrc(batch);
    return batch;
  });

const partitionRoutes = fc.oneof(
  fc
    .record({
      segments: fc
        .tuple(topicName, partitionText)
        .map(([t, p]) => ["v1", "topics", t, "partitions", p, "batches"]),
      body: fc.oneof(
        { weight: 4, arbitrary: batchBody },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }) },
      ),
      type: fc.oneof(
        { weight: 4, arbitrary: fc.constant(BATCH_CONTENT_TYPE) },
        { weight: 1, arbitrary: fc.constantFrom("application/json", "text/plain", "") },
      ),
    })
    .map(
      ({ segments, body, type }): FuzzRequest => ({
        method: "POST",
        segments,
        query: [],
        headers: type === "" ? {} : { "Content-Type": type },
        body,
      }),
    ),
  get(
    fc.tuple(topicName, partitionText).map(([t, p]) => ["v1", "topics", t, "partitions", p, "batches"]),
    queryOf({
      offset: offsetText,
      maxBytes: usually(
        fc.constantFrom("1", "100", "99999999999"),
        fc.oneof(fc.constantFrom("0", "-1"), anyString),
      ),
      wait: shortWait,
    }),
  ),
  get(
    fc.tuple(topicName, partitionText).map(([t, p]) => ["v1", "topics", t, "partitions", p, "records"]),
    queryOf({
      offset: offsetText,
      limit: usually(
        fc.constantFrom("1", "2", "10000"),
        fc.oneof(fc.constantFrom("0", "-1", "10001"), anyString),
      ),
      wait: shortWait,
      valueFormat: usually(fc.constantFrom("json", "base64", "text"), anyString),
    }),
    fc.constant("GET"),
    fc.option(
      fc.record({
        Accept: fc.constantFrom("text/event-stream", "application/json"),
        "Last-Event-ID": fc.constantFrom("0", "2", "-1", "x", "99999999999999999999"),
      }),
      { nil: {} },
    ) as fc.Arbitrary<Record<string, string>>,
  ),
  get(
    fc.tuple(topicName, partitionText).map(([t, p]) => ["v1", "topics", t, "partitions", p, "offsets"]),
    queryOf({
      timestamp: usually(
        fc.constantFrom("0", "1764000000000"),
        fc.oneof(fc.constantFrom("-1", "1e308"), anyString),
      ),
    }),
  ),
  post(
    fc
      .tuple(topicName, partitionText)
      .map(([t, p]) => ["v1", "topics", t, "partitions", p, "delete-records"]),
    jsonBody(jsonObject({ beforeOffset: field(fc.integer({ min: -2, max: 5 })) })),
  ),
);

const topicPartitions = fc.array(
  fc.record({
    topic: field(topicName),
    partitions: field(fc.array(mostly(0, 3), { maxLength: 3 })),
  }),
  { maxLength: 2 },
);
const groupRoutes = fc.oneof(
  get(fc.constant(["v1", "groups"])),
  post(
    groupName.map((g) => ["v1", "groups", g, "heartbeat"]),
    jsonBody(
      jsonObject({
        memberId: field(fc.oneof(fc.constantFrom(MEMBER, "m2"), anyString)),
        memberEpoch: field(mostly(0, 3)),
        topics: fc.option(field(fc.array(topicName, { maxLength: 4 })), { nil: undefined }),
        ownedPartitions: fc.option(field(topicPartitions), { nil: undefined, freq: 3 }),
        sessionTimeoutMs: fc.option(field(fc.integer({ min: 0, max: 60_000 })), { nil: undefined, freq: 3 }),
        rebalanceTimeoutMs: fc.option(field(fc.integer({ min: 0, max: 60_000 })), {
          nil: undefined,
          freq: 3,
        }),
        serverAssignor: fc.option(field(fc.constantFrom("uniform", "range")), { nil: undefined, freq: 3 }),
      }),
    ),
  ),
  post(
    groupName.map((g) => ["v1", "groups", g, "offsets"]),
    jsonBody(
      jsonObject({
        offsets: field(
          fc.array(
            fc.record({
              topic: field(topicName),
              partition: field(mostly(0, 1)),
              offset: field(mostly(0, 5)),
              metadata: fc.option(field(anyString), { nil: undefined }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
        ),
        memberId: fc.option(field(fc.oneof(fc.constant(MEMBER), anyString)), { nil: undefined }),
        memberEpoch: fc.option(field(mostly(0, 3)), { nil: undefined }),
      }),
    ),
  ),
  get(
    groupName.map((g) => ["v1", "groups", g, "offsets"]),
    fc.array(
      topicName.map((t) => ["topic", t] as [string, string]),
      { maxLength: 2 },
    ),
  ),
  get(
    groupName.map((g) => ["v1", "groups", g]),
    fc.constant([]),
    fc.constantFrom("GET", "DELETE", "POST"),
  ),
);

const waitRoute = post(
  fc.constant(["v1", "wait"]),
  jsonBody(
    jsonObject({
      partitions: field(
        fc.array(
          fc.record({
            topic: field(topicName),
            partition: field(mostly(0, 1)),
            offset: field(mostly(0, 5)),
          }),
          { minLength: 1, maxLength: 2 },
        ),
      ),
      wait: fc.option(field(fc.integer({ min: 0, max: 2 })), { nil: undefined }),
    }),
  ),
);

/** Any method on any path, for 404 and 405 answers. */
const strayRoute = get(
  fc.array(fc.oneof(fc.constantFrom("v1", "topics", "groups", "partitions", "0"), anyString), {
    maxLength: 6,
  }),
  fc.constant([]),
  fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND"),
);

/** Header values must be byte strings; these are the printable-ASCII hostile ones plus protocol values. */
const asciiString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS.filter((s) => /^[\x20-\x7e]*$/.test(s))),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);
/** The protocol's request headers, each present now and then (most combinations of several are refusals). */
const dsHeaders = fc
  .record({
    "Content-Type": fc.oneof(
      { weight: 4, arbitrary: fc.constant("application/json") },
      { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/octet-stream", "x/y", "") },
    ),
    "Stream-TTL": rarely(
      fc.oneof(fc.constantFrom("0", "60", "-1", "1e308", "99999999999999999999"), asciiString),
    ),
    "Stream-Expires-At": rarely(
      fc.oneof(fc.constantFrom("2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z"), asciiString),
    ),
    "Stream-Closed": rarely(fc.constantFrom("true", "false", "TRUE", "1", "")),
    "Stream-Seq": rarely(fc.oneof(fc.constantFrom("1", "a", "0001", "zz"), asciiString)),
    "Producer-Id": rarely(fc.oneof(fc.constantFrom("p1", "__proto__", "constructor"), asciiString)),
    "Producer-Epoch": rarely(fc.oneof(fc.constantFrom("0", "1", "-1", "99999999999999999999"), asciiString)),
    "Producer-Seq": rarely(fc.oneof(fc.constantFrom("0", "1", "-1", "1e308"), asciiString)),
    "Stream-Forked-From": rarely(
      fc.oneof(fc.constantFrom("/ds/chat", "/ds/orders", "/ds/__proto__", "/x"), asciiString),
    ),
    "Stream-Fork-Offset": rarely(
      fc.oneof(fc.constantFrom("0000000000000000_0000000000000001", "-1"), asciiString),
    ),
    "If-None-Match": rarely(asciiString),
  })
  .map((headers) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
    return out;
  });
const dsPath = fc.array(
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TOPICS) }, { weight: 2, arbitrary: anyString }),
  { minLength: 1, maxLength: 3 },
);
const dsRoute = fc
  .record({
    method: fc.constantFrom("PUT", "POST", "GET", "HEAD", "DELETE", "OPTIONS", "PATCH"),
    path: dsPath,
    query: queryOf({
      offset: fc.oneof(
        fc.constantFrom(
          "-1",
          "now",
          "0000000000000000_0000000000000001",
          "0000000000000000_9999999999999999",
        ),
        anyString,
      ),
      live: fc.constantFrom("long-poll", "sse", "x"),
      cursor: asciiString,
    }),
    headers: dsHeaders,
    body: fc.option(
      fc.oneof(fc.constantFrom('[{"m":1}]', "[]", '{"a":1}', "{", ""), fc.string({ maxLength: 20 })),
      {
        nil: undefined,
      },
    ),
  })
  .map(
    ({ method, path, query, headers, body }): FuzzRequest => ({
      method,
      segments: ["ds", ...path],
      query,
      headers,
      // GET and HEAD requests cannot carry a body.
      ...(body === undefined || method === "GET" || method === "HEAD" ? {} : { body }),
    }),
  );

const anyRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  topicsRoutes,
  produceRoute,
  partitionRoutes,
  groupRoutes,
  waitRoute,
  dsRoute,
  strayRoute,
);

// ---------------------------------------------------------------------------------------------------------------
// Sending and checking

/** `encodeURIComponent`, except that a lone surrogate (which it refuses) is sent as its (invalid) UTF-8 bytes. */
function encodeSegment(segment: string): string {
  let out = "";
  for (const char of segment) {
    const unit = char.charCodeAt(0);
    out += char.length === 1 && unit >= 0xd800 && unit < 0xe000 ? "%ED%A0%80" : encodeURIComponent(char);
  }
  return out;
}

function urlOf(request: FuzzRequest): string {
  const path = request.segments.map((s) => (typeof s === "string" ? encodeSegment(s) : s.raw)).join("/");
  const query = new URLSearchParams(request.query.map(([k, v]) => [k, v])).toString();
  return `/${path}${query === "" ? "" : `?${query}`}`;
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

async function send(harness: Harness, request: FuzzRequest): Promise<Answer> {
  const controller = new AbortController();
  const init: RequestInit = { method: request.method, headers: request.headers, signal: controller.signal };
  if (request.body !== undefined) init.body = request.body as BodyInit;
  const response = await harness.app.request(urlOf(request), init, harness.env);
  const type = response.headers.get("Content-Type") ?? "";
  if (type.startsWith("text/event-stream")) {
    // A live tail never ends by itself: its status and headers are the answer; then hang up.
    controller.abort();
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, type, text: "" };
  }
  return { status: response.status, type, text: await response.text() };
}

type Harness = ReturnType<typeof setup>;

/** The stream headers a HEAD answers: what a `/ds` request could change besides the log. */
const STREAM_STATE_HEADERS = [
  "Content-Type",
  "Stream-Next-Offset",
  "Stream-Closed",
  "Stream-TTL",
  "Stream-Expires-At",
  "ETag",
] as const;

/**
 * Everything a request could write, as plain data: topics, partition bounds, each one-partition topic's stream
 * state (its HEAD), and groups with their members and committed offsets.
 */
interface Snapshot {
  readonly partitions: readonly { readonly name: string; readonly bounds: readonly unknown[] }[];
  readonly groups: unknown;
}

async function snapshot(harness: Harness): Promise<Snapshot> {
  const store = harness.store as MemoryStore;
  // Streams first: touching an expired stream (a TTL that ran out) deletes it, by design, so the store is read
  // after that has happened rather than halfway through.
  const streams = new Map<string, Record<string, string | null>>();
  for (const t of await store.listTopics()) {
    const path = t.partitions === 1 ? streamForTopic(t.name) : null;
    if (path === null) continue;
    // The stream path is the URL path as sent (already percent-encoded), so it goes back into a URL as it is.
    const head = await harness.app.request(`/ds/${path}`, { method: "HEAD" }, harness.env);
    const stream: Record<string, string | null> = { status: String(head.status) };
    for (const name of STREAM_STATE_HEADERS) stream[name] = head.headers.get(name);
    streams.set(t.name, stream);
  }
  const topics = (await store.listTopics()).sort((a, b) => (a.name < b.name ? -1 : 1));
  const partitions = await Promise.all(
    topics.map(async (t) => ({
      name: t.name,
      topicId: t.topicId,
      config: t.config,
      bounds: await Promise.all(
        Array.from({ length: t.partitions }, (_, partition) => store.offsets({ topic: t.name, partition })),
      ),
      stream: streams.get(t.name) ?? null,
    })),
  );
  const groups = await Promise.all(
    (await store.listGroups()).sort().map(async (group) => ({
      group,
      offsets: await store.fetchOffsets(group),
      description: await store.describeGroup(group).catch((error: unknown) => String(error)),
    })),
  );
  return { partitions, groups };
}

/** A fresh app whose store holds a two-partition topic with records, a stream, and a group with a member. */
async function seeded(): Promise<Harness> {
  const harness = setup({ dsLongPollTimeoutMs: 5, dsSseMaxConnectionMs: 5, sseKeepAliveMs: 5 });
  await harness.createTopic("orders", 2);
  const produced = await harness.produce("orders", {
    records: [
      { value: 1, partition: 0 },
      { value: 2, partition: 0 },
      { value: 3, partition: 1 },
    ],
  });
  expect(produced.status).toBe(200);
  const stream = await harness.app.request(
    "/ds/chat",
    { method: "PUT", headers: { "Content-Type": "application/json" }, body: '[{"m":1}]' },
    harness.env,
  );
  expect(stream.status).toBe(201);
  // An admin commit needs an empty group: commit first, then join.
  const committed = await harness.json("POST", `/v1/groups/${GROUP}/offsets`, {
    offsets: [{ topic: "orders", partition: 0, offset: 1 }],
  });
  expect(committed.status).toBe(204);
  const joined = await harness.json("POST", `/v1/groups/${GROUP}/heartbeat`, {
    memberId: MEMBER,
    memberEpoch: 0,
    topics: ["orders"],
  });
  expect(joined.status).toBe(200);
  return harness;
}

/** Checks one answer; returns why it broke a property, or null. */
function violation(request: FuzzRequest, answer: Answer): string | null {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  const isV1 = request.segments[0] === "v1";
  if (!isV1 || answer.status < 400 || request.method === "HEAD") return null;
  if (!answer.type.startsWith("application/json"))
    return `a ${answer.status} with Content-Type "${answer.type}"`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 100)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = error?.code;
  if (typeof code !== "string" || !Object.hasOwn(HTTP_STATUS_BY_CODE, code)) {
    return `a ${answer.status} without a known error code: ${answer.text.slice(0, 200)}`;
  }
  if (typeof error?.message !== "string") return `a ${code} without a message`;
  const expected = HTTP_STATUS_BY_CODE[code as keyof typeof HTTP_STATUS_BY_CODE];
  if (answer.status !== expected) return `${code} answered ${answer.status}, core's table says ${expected}`;
  return null;
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body instanceof Uint8Array ? `<${request.body.length} bytes>` : request.body;
  return `${request.method} ${urlOf(request)} ${JSON.stringify(request.headers)} ${body ?? ""}`.slice(0, 600);
}

/**
 * What a refused request may still have written, by design. A JSON produce whose records go to several
 * partitions appends one batch per partition and does not roll them back together (docs/http-api.md
 * "Produce", as in Kafka): when one partition refuses its batch (say a producer sequence gap), the others may
 * have been written. The refusing partition itself must be unchanged, so only the others' bounds are let go.
 */
function forgiveOtherPartitions(
  request: FuzzRequest,
  answer: Answer,
  after: Snapshot,
  before: Snapshot,
): Snapshot {
  const isProduce =
    request.method === "POST" && request.segments.length === 4 && request.segments[3] === "records";
  if (!isProduce || request.segments[0] !== "v1") return after;
  let refused: unknown;
  try {
    refused = (JSON.parse(answer.text) as { error?: { partition?: unknown } }).error?.partition;
  } catch {
    return after;
  }
  if (typeof refused !== "number") return after;
  const topic = request.segments[2];
  return {
    ...after,
    partitions: after.partitions.map((t) => {
      const earlier = before.partitions.find((b) => b.name === t.name);
      if (t.name !== topic || earlier === undefined) return t;
      return {
        ...t,
        bounds: t.bounds.map((b, partition) => (partition === refused ? b : earlier.bounds[partition])),
      };
    }),
  };
}

async function checkSequence(requests: readonly FuzzRequest[]): Promise<void> {
  const harness = await seeded();
  for (const request of requests) {
    const before = await snapshot(harness);
    const answer = await send(harness, request);
    const broken = violation(request, answer);
    if (broken !== null) throw new Error(`${describeRequest(request)}\n  → ${broken}`);
    if (answer.status >= 400) {
      const after = forgiveOtherPartitions(request, answer, await snapshot(harness), before);
      expect(after, `${describeRequest(request)}\n  → refused with ${answer.status} but wrote`).toEqual(
        before,
      );
    }
  }
}

/** Runs per property; `FUZZ_RUNS=5000 npx vitest run packages/server/test/fuzz-routes.test.ts` hunts longer. */
// This package's tests are typed without Node's globals; the runner is Node, so read the variable through globalThis.
const RUNS =
  Number((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.FUZZ_RUNS) ||
  0;
/** A bound on a whole property (not a timing assertion): a hung request fails the test instead of the run. */
const FUZZ_TIMEOUT_MS = RUNS > 0 ? 3_600_000 : 60_000;

describe("fuzzing every route", () => {
  it(
    "never a 5xx, always a known error with its status, never a write from a refused request",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(anyRequest, { minLength: 1, maxLength: 5 }), (requests) =>
          checkSequence(requests),
        ),
        { numRuns: RUNS || 250 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  for (const [name, arbitrary] of [
    ["topics", topicsRoutes],
    ["produce", produceRoute],
    ["partitions (batches, fetch, offsets, delete-records)", partitionRoutes],
    ["groups", groupRoutes],
    ["wait", waitRoute],
    ["/ds", dsRoute],
  ] as const) {
    it(
      `${name}: the same properties, one route family at a time`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(arbitrary, { minLength: 1, maxLength: 4 }), (requests) =>
            checkSequence(requests),
          ),
          { numRuns: RUNS || 100 },
        );
      },
      FUZZ_TIMEOUT_MS,
    );
  }

  it("re-sealing a batch writes the CRC the encoder wrote", () => {
    const batch = encodeBatch([{ key: null, value: new Uint8Array([1, 2]), headers: [], timestamp: 5 }]);
    const copy = batch.slice();
    copy.fill(0, 3, 7);
    resealCrc(copy);
    expect(copy).toEqual(batch);
  });

  it("the checker flags a 5xx, a status off the table, a non-JSON error and an unknown code", () => {
    const refused: Answer = {
      status: 500,
      type: "application/json",
      text: JSON.stringify({ error: new EdgeLogError("UNKNOWN_SERVER_ERROR", "x").toJSON() }),
    };
    const request: FuzzRequest = { method: "GET", segments: ["v1", "topics"], query: [], headers: {} };
    expect(violation(request, refused)).toMatch(/answered 500/);
    expect(violation(request, { ...refused, status: 404 })).toMatch(/core's table says 500/);
    expect(violation(request, { status: 400, type: "text/plain", text: "no" })).toMatch(/Content-Type/);
    expect(
      violation(request, {
        status: 400,
        type: "application/json",
        text: '{"error":{"code":"NOPE","message":"x"}}',
      }),
    ).toMatch(/known error code/);
  });
});
