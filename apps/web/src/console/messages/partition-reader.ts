/**
 * @module
 * The Messages screen's reads over the HTTP API: a topic's partitions and their bounds (`GET /v1/topics/{t}`), one
 * page of a partition (the JSON fetch with `limit`), and the offset for a time (`…/offsets?timestamp=`). It counts
 * requests and records, which the screen shows ("read 600 records in 3 requests"): browsing a million-record
 * partition reads pages, never the log.
 */
import { signal } from "@preact/signals";
import { apiFetch } from "../session.ts";
import { type ConsoleRecord, fromWire, type WireRecord } from "./console-record.ts";

export interface PartitionBounds {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

export interface PageRead {
  readonly records: ConsoleRecord[];
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** What the record window needs from the server; tests give it an in-memory one. */
export interface PageReader {
  /** Up to `limit` records of `partition` from `offset` on (an empty page at the high watermark). */
  read(partition: number, offset: number, limit: number, signal?: AbortSignal): Promise<PageRead>;
  /** The earliest offset whose timestamp is ≥ `timestampMs`, or the high watermark when none is. */
  offsetForTime(partition: number, timestampMs: number, signal?: AbortSignal): Promise<number>;
  /** The partition's bounds now. */
  bounds(partition: number, signal?: AbortSignal): Promise<PartitionBounds>;
}

export interface ReadStats {
  readonly requests: number;
  readonly records: number;
}

interface DescribedTopic {
  readonly partitions: readonly { partition: number; logStartOffset: number; highWatermark: number }[];
}

const enc = encodeURIComponent;

/** A topic's partitions with their bounds, in partition order. */
export async function describePartitions(topic: string, signal?: AbortSignal): Promise<PartitionBounds[]> {
  const response = await apiFetch(`/v1/topics/${enc(topic)}`, signal === undefined ? {} : { signal });
  const described = (await response.json()) as DescribedTopic;
  return described.partitions
    .map(({ partition, logStartOffset, highWatermark }) => ({ partition, logStartOffset, highWatermark }))
    .sort((a, b) => a.partition - b.partition);
}

/** The HTTP reader of one topic; `stats` counts what it asked for. */
export class HttpPageReader implements PageReader {
  readonly stats = signal<ReadStats>({ requests: 0, records: 0 });

  readonly topic: string;

  constructor(topic: string) {
    this.topic = topic;
  }

  #path(partition: number, rest: string): string {
    return `/v1/topics/${enc(this.topic)}/partitions/${partition}/${rest}`;
  }

  #count(records: number): void {
    const { requests, records: total } = this.stats.value;
    this.stats.value = { requests: requests + 1, records: total + records };
  }

  async read(partition: number, offset: number, limit: number, signal?: AbortSignal): Promise<PageRead> {
    const response = await apiFetch(
      this.#path(partition, `records?offset=${offset}&limit=${limit}`),
      signal === undefined ? {} : { signal },
    );
    const text = await response.text();
    const body = JSON.parse(text) as {
      records: WireRecord[];
      nextOffset: number;
      logStartOffset: number;
      highWatermark: number;
    };
    this.#count(body.records.length);
    return {
      records: fromWire(partition, body.records, text.length),
      nextOffset: body.nextOffset,
      logStartOffset: body.logStartOffset,
      highWatermark: body.highWatermark,
    };
  }

  async offsetForTime(partition: number, timestampMs: number, signal?: AbortSignal): Promise<number> {
    const response = await apiFetch(
      this.#path(partition, `offsets?timestamp=${timestampMs}`),
      signal === undefined ? {} : { signal },
    );
    this.#count(0);
    return ((await response.json()) as { offset: number }).offset;
  }

  async bounds(partition: number, signal?: AbortSignal): Promise<PartitionBounds> {
    const response = await apiFetch(this.#path(partition, "offsets"), signal === undefined ? {} : { signal });
    this.#count(0);
    const { logStartOffset, highWatermark } = (await response.json()) as PartitionBounds;
    return { partition, logStartOffset, highWatermark };
  }
}
