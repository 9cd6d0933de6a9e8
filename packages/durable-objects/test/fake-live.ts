/**
 * @module
 * Fakes for driving `LiveTails` without workerd (live-tails.test.ts, shard-relay.test.ts): an in-memory log, a
 * socket that keeps what it was sent and its attachment, and a reader that applies records in order and records
 * every gap or repeat.
 */
import { decodeBatch, type StoredBatch } from "@edgelog/core";
import {
  decodeLiveRecords,
  encodeLiveControl,
  parseLiveServerMessage,
  ReadBudget,
} from "@edgelog/core/store-kit";
import { makeBatch } from "@edgelog/core/testing";
import type { LiveSocket } from "../src/live/live-tails.ts";

export class FakeLog {
  readonly batches: StoredBatch[] = [];
  logStartOffset = 0;
  highWatermark = 0;

  /** `sizeBytes` beyond the payload's: a batch that counts as large against read budgets without being so. */
  append(records: number, extraBytes = 0): void {
    const payload = makeBatch(records, `v${this.highWatermark}`);
    this.batches.push({
      baseOffset: this.highWatermark,
      lastOffset: this.highWatermark + records - 1,
      recordCount: records,
      maxTimestamp: 0,
      logAppendTime: 0,
      sizeBytes: payload.length + extraBytes,
      payload,
    });
    this.highWatermark += records;
  }

  trim(before: number): void {
    this.logStartOffset = Math.max(this.logStartOffset, Math.min(before, this.highWatermark));
    while ((this.batches[0]?.lastOffset ?? Number.POSITIVE_INFINITY) < this.logStartOffset)
      this.batches.shift();
  }

  read(offset: number, maxBytes: number): StoredBatch[] {
    const budget = new ReadBudget(maxBytes);
    const out: StoredBatch[] = [];
    for (const batch of this.batches) {
      if (batch.lastOffset < offset) continue;
      if (!budget.admits(batch.sizeBytes)) break;
      out.push(batch);
    }
    return out;
  }
}

export class FakeSocket implements LiveSocket {
  readonly toReader: (string | Uint8Array)[] = [];
  /** What the runtime would report as unsent (workerd reports nothing: undefined). */
  bufferedAmount?: number;
  attachment: unknown = null;
  /** `serializeAttachment` calls. */
  writes = 0;
  /** The offset after the last record sent (the reader's start before any). */
  sentEnd = -1;
  closedWith: number | null = null;

  send(message: string | ArrayBuffer | ArrayBufferView): void {
    if (this.closedWith !== null) throw new Error("closed");
    if (typeof message === "string") {
      this.toReader.push(message);
      return;
    }
    const bytes = new Uint8Array(message as ArrayBuffer);
    const last = decodeLiveRecords(bytes).batches.at(-1);
    if (last !== undefined) this.sentEnd = last.lastOffset + 1;
    this.toReader.push(bytes);
  }

  close(code?: number): void {
    this.closedWith ??= code ?? 1000;
  }

  /** Whether its attachment says it is pushed to. */
  get storedLive(): boolean {
    return (this.attachment as { live?: boolean } | null)?.live === true;
  }

  serializeAttachment(value: unknown): void {
    this.writes++;
    this.attachment = structuredClone(value);
  }

  deserializeAttachment(): unknown {
    return structuredClone(this.attachment);
  }
}

/** The reader's side: applies records in order, trims overlap, resumes when short, and checks every rule. */
export class Reader {
  readonly socket = new FakeSocket();
  readonly toServer: string[] = [];
  readonly offsets: number[] = [];
  readonly violations: string[] = [];
  start = -1;
  next = -1;
  left = false;
  /** Paused by its reader (a full buffer): it resumes once it has drained. */
  paused = false;

  receive(): void {
    const message = this.socket.toReader.shift();
    if (message === undefined) return;
    if (typeof message === "string") {
      const control = parseLiveServerMessage(message);
      if (control.type === "ready" && control.offset !== this.start) this.violations.push("ready elsewhere");
      if (control.type === "behind") this.resume();
      return;
    }
    const records = decodeLiveRecords(message);
    for (const batch of records.batches) {
      if (batch.baseOffset > this.next) this.violations.push(`gap at ${this.next}: got ${batch.baseOffset}`);
      if (batch.lastOffset < this.next) {
        this.violations.push(`repeat of ${batch.baseOffset}..${batch.lastOffset} at ${this.next}`);
        continue;
      }
      const values = decodeBatch(batch.payload).records;
      for (let offset = Math.max(this.next, batch.baseOffset); offset <= batch.lastOffset; offset++) {
        const value = new TextDecoder().decode(values[offset - batch.baseOffset]?.value ?? new Uint8Array());
        if (!value.startsWith("v")) this.violations.push(`bad record at ${offset}`);
        this.offsets.push(offset);
      }
      this.next = batch.lastOffset + 1;
    }
    if (this.next < records.highWatermark) this.resume();
  }

  resume(): void {
    this.toServer.push(encodeLiveControl({ type: "resume", offset: this.next }));
  }

  pause(): void {
    this.paused = true;
    this.toServer.push(encodeLiveControl({ type: "pause" }));
  }
}
