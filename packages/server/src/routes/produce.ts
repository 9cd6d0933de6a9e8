/**
 * @module
 * JSON produce (`POST /v1/topics/{topic}/records`). The whole request is validated and every partition's batch
 * encoded before anything is appended, so a bad record never leaves a partial write behind; then the batches
 * (one per partition, records in request order) are appended in parallel and offsets answered per record.
 */
import { type AppendResult, EdgeLogError, partitionForKey, type TopicMetadata } from "@edgelog/core";
import {
  assertPartitionExists,
  BatchBuilder,
  compacts,
  keylessRecord,
  type ProducerStamp,
  parseAcks,
  recordTooLarge,
  requireTopic,
  soloBatchSize,
} from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { type IncomingRecord, parseRecords, parseValueFormat } from "../json-records.ts";
import { limitBody, MAX_RECORDS_PER_REQUEST } from "../limits.ts";
import { isPlainObject, parseInteger, pathParam, readJsonObject } from "../params.ts";
import { chargeProduceBytes } from "../quota/charge.ts";
import { route } from "../route.ts";

const MAX_INT32 = 0x7fffffff;
const MAX_PRODUCER_ID_BYTES = 255;

/** The `producer` member of a produce body: who stamps the batches, and each partition's base sequence. */
interface ProducerFields {
  readonly id: string;
  readonly epoch: number;
  readonly sequences: ReadonlyMap<number, number>;
}

export function produceRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics/:topic/records", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        // Charged by the body's size as sent, before it is parsed: a refused produce costs no more work.
        await chargeProduceBytes(c, (await c.req.arrayBuffer()).byteLength);
        const body = await readJsonObject(c);
        const { records } = body;
        if (!Array.isArray(records) || records.length === 0) {
          throw invalidRequest("`records` must be a non-empty array");
        }
        if (records.length > MAX_RECORDS_PER_REQUEST) {
          throw new EdgeLogError(
            "MESSAGE_TOO_LARGE",
            `a produce request carries at most ${MAX_RECORDS_PER_REQUEST} records, got ${records.length}`,
            {
              context: { topic: metadata.name, maxRecords: MAX_RECORDS_PER_REQUEST, records: records.length },
            },
          );
        }
        const format = parseValueFormat(body.valueFormat);
        const producer = parseProducer(body.producer);
        const acks = parseAcks(body.acks);
        const options = acks === undefined ? undefined : { acks };
        const incoming = parseRecords(records, format, c.var.now(), metadata.name);
        if (compacts(metadata.config)) {
          // Refused here, naming the record, so no partition of the request is written (the store would refuse
          // only that record's partition).
          const keyless = incoming.findIndex(({ record }) => record.key === null);
          if (keyless >= 0) throw keylessRecord({ topic: metadata.name, index: keyless });
        }
        const plan = planBatches(metadata, incoming, producer, c.var.random);

        const results = await Promise.all(
          plan.map(({ partition, batch }) =>
            store.append({ topic: metadata.name, partition }, batch, options),
          ),
        );
        // Offsets in request order: record i of a partition's batch has offset baseOffset + i.
        const offsets = new Array<{ partition: number; offset: number }>(incoming.length);
        plan.forEach(({ partition, indexes }, b) => {
          const { baseOffset } = results[b] as AppendResult;
          indexes.forEach((index, position) => {
            offsets[index] = { partition, offset: baseOffset + position };
          });
        });
        return c.json({
          offsets,
          batches: plan.map(({ partition }, b) => {
            const r = results[b] as AppendResult;
            return { partition, baseOffset: r.baseOffset, lastOffset: r.lastOffset, duplicate: r.duplicate };
          }),
        });
      },
    ],
  });
}

function parseProducer(value: unknown): ProducerFields | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalidRequest("`producer` must be an object { id, epoch, sequences }");
  const { id, epoch, sequences } = value;
  const idBytes = typeof id === "string" ? new TextEncoder().encode(id).length : 0;
  if (typeof id !== "string" || idBytes === 0 || idBytes > MAX_PRODUCER_ID_BYTES) {
    throw invalidRequest(`\`producer.id\` must be a string of 1-${MAX_PRODUCER_ID_BYTES} UTF-8 bytes`);
  }
  if (!isInt32(epoch)) throw invalidRequest(`\`producer.epoch\` must be an integer in 0..${MAX_INT32}`);
  if (!isPlainObject(sequences)) {
    throw invalidRequest("`producer.sequences` must be an object of partition → base sequence");
  }
  const map = new Map<number, number>();
  for (const [key, sequence] of Object.entries(sequences)) {
    const partition = parseInteger(key);
    if (partition === null || partition < 0) {
      throw invalidRequest(`\`producer.sequences\` key "${key}" is not a partition number`);
    }
    if (!isInt32(sequence)) {
      throw invalidRequest(`\`producer.sequences["${key}"]\` must be an integer in 0..${MAX_INT32}`);
    }
    map.set(partition, sequence);
  }
  return { id, epoch, sequences: map };
}

function isInt32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_INT32;
}

/** One partition's share of a request: its encoded batch and which request records (by index) it holds. */
interface PlannedBatch {
  readonly partition: number;
  readonly indexes: number[];
  readonly batch: Uint8Array;
}

/**
 * Partitions every record (explicit partition, else murmur2 of the UTF-8 key as Kafka's Java client, else one
 * random partition for all keyless records of the request — sticky per request, so they share a batch),
 * checks each record and each batch against `max.message.bytes`, and encodes one batch per partition.
 */
function planBatches(
  metadata: TopicMetadata,
  incoming: readonly IncomingRecord[],
  producer: ProducerFields | undefined,
  random: () => number,
): PlannedBatch[] {
  const maxBytes = metadata.config["max.message.bytes"];
  const budget = { producerId: producer?.id ?? null, maxBatchBytes: maxBytes };
  const stickyPartition = keylessPartition(metadata.partitions, producer, random);
  const groups = new Map<number, { indexes: number[]; builder: BatchBuilder }>();

  incoming.forEach(({ record, partition: explicit }, index) => {
    let partition: number;
    if (explicit !== undefined) {
      assertPartitionExists(metadata.name, explicit, metadata.partitions);
      partition = explicit;
    } else if (record.key !== null) {
      partition = partitionForKey(record.key, metadata.partitions);
    } else {
      partition = stickyPartition;
    }
    const alone = soloBatchSize(record, budget.producerId);
    if (alone > maxBytes) throw recordTooLarge(alone, maxBytes, { topic: metadata.name, index });
    let group = groups.get(partition);
    if (group === undefined) {
      group = { indexes: [], builder: new BatchBuilder(budget) };
      groups.set(partition, group);
    }
    group.indexes.push(index);
    // Added whatever the budget: an over-budget share is refused below, after every record has been checked.
    group.builder.add(record);
  });

  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, group]) => {
      // One batch per partition is what makes a partition's share atomic; a share too big for one batch is
      // refused rather than split, because a split could half-succeed.
      const sizeBytes = group.builder.sizeBytes;
      if (sizeBytes > maxBytes) {
        throw new EdgeLogError(
          "MESSAGE_TOO_LARGE",
          `the records for partition ${partition} encode to ${sizeBytes} bytes, over the topic's ` +
            `max.message.bytes (${maxBytes}); send them in smaller requests`,
          { context: { topic: metadata.name, partition, sizeBytes, maxBytes } },
        );
      }
      let stamp: ProducerStamp | undefined;
      if (producer !== undefined) {
        const baseSequence = producer.sequences.get(partition);
        if (baseSequence === undefined) {
          throw invalidRequest(`\`producer.sequences\` has no base sequence for partition ${partition}`, {
            topic: metadata.name,
            partition,
          });
        }
        stamp = { producerId: producer.id, producerEpoch: producer.epoch, baseSequence };
      }
      return { partition, indexes: group.indexes, batch: group.builder.encode(stamp) };
    });
}

/**
 * The one partition a request's keyless records share. Random without a producer; with one it must be a
 * function of the request, or a retry of the same request could land on another partition and be appended
 * again instead of being recognised as a duplicate — so it hashes the producer id, epoch and sequences.
 */
function keylessPartition(
  partitions: number,
  producer: ProducerFields | undefined,
  random: () => number,
): number {
  if (producer === undefined) return Math.min(partitions - 1, Math.floor(random() * partitions));
  const sequences = [...producer.sequences.entries()].sort(([a], [b]) => a - b);
  const identity = JSON.stringify([producer.id, producer.epoch, sequences]);
  return partitionForKey(new TextEncoder().encode(identity), partitions);
}
