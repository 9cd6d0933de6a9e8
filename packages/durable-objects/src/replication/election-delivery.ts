/**
 * @module
 * The controller telling replicas of an election (Kafka's LeaderAndIsr): the new leader first (`becomeLeader`),
 * then every other replica (`becomeFollower`: the old leader stops taking appends and truncates what only it
 * wrote). Every message has a deadline, so a region that hangs cannot hold the controller. The admin election and
 * automatic failover both announce through here.
 *
 * A replica that was not told — unreachable, or it timed out after the election was recorded — is remembered
 * (`election_pending`: one row per partition and region, at most `MAX_PENDING`, in the controller's SQLite) and
 * told again from the controller's alarm, with backoff, until it answers: a new leader that missed its
 * `becomeLeader` learns it leads, and an old leader that comes back follows (and truncates) even when no push
 * reaches it. Re-sending is idempotent — a replica ignores an epoch older than one it has seen (answering
 * `FENCED_LEADER_EPOCH`, which also ends the re-sending), and a re-sent message carries the current record, so a
 * newer election supersedes the rows of an older one.
 */
import { isEdgeLogError } from "@edgelog/core";
import type { PartitionReplication } from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "../env.ts";
import type { LeaderEpochs, PartitionObject } from "../partition-object.ts";
import { type RpcResult, unwrap } from "../rpc-result.ts";
import { withTimeout } from "./call-timeout.ts";
import { handleDueRows } from "./due-rows.ts";
import { assertControlDelivered, crossRegion } from "./fault-switch.ts";

/** Longest wait for one controller message to a replica. */
export const MAX_CONTROL_CALL_MS = 5_000;
/** Replicas waiting to be told at once; an election past it is announced once, then left to the pushes. */
export const MAX_PENDING = 10_000;
/** Messages one alarm run re-sends; the rest wait for the next run, which comes at once. */
const MAX_RESENDS_PER_ALARM = 100;
/** Backoff between two re-sends to one replica: 100 ms doubling up to 2 s. */
const RESEND_BASE_MS = 100;
const RESEND_MAX_MS = 2_000;

export interface DeliveryHost {
  readonly env: EdgeLogEnv;
  readonly sql: SqlStorage;
  /** The partition's topic id and recorded replication; `null` when gone. */
  record(topic: string, partition: number): { topicId: string; replication: PartitionReplication } | null;
  replica(
    prefix: string,
    topicId: string,
    partition: number,
    region: string,
  ): DurableObjectStub<PartitionObject>;
  /** Makes the object's alarm fire no later than `at`. */
  wakeAt(at: number): void;
  now(): number;
}

/** One partition's election, as recorded. */
export interface Election {
  readonly prefix: string;
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly replication: PartitionReplication;
}

/** A replica the controller still has to tell of its partition's current epoch. */
export interface PendingDelivery {
  readonly topic: string;
  readonly partition: number;
  readonly region: string;
  readonly leaderEpoch: number;
  readonly attempts: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS election_pending (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    region TEXT NOT NULL,
    prefix TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    leader_epoch INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    PRIMARY KEY (topic, partition, region)
  )
`;

type PendingRow = {
  topic: string;
  partition: number;
  region: string;
  prefix: string;
  topic_id: string;
  leader_epoch: number;
  attempts: number;
  next_at: number;
};

export class ElectionDelivery {
  readonly #host: DeliveryHost;
  /** Messages re-sent since this instance started (for the call counts). */
  #resends = 0;

  constructor(host: DeliveryHost) {
    this.#host = host;
    host.sql.exec(SCHEMA);
  }

  /**
   * Tells the new leader, then every other replica; whoever cannot be told now is told again from the alarm.
   * Answers the regions not told yet.
   */
  async announce(election: Election): Promise<string[]> {
    const { topic, partition, replication } = election;
    // Rows of an older epoch of this partition are superseded: what is sent from now on is this election.
    this.#host.sql.exec(
      "DELETE FROM election_pending WHERE topic = ? AND partition = ? AND leader_epoch < ?",
      topic,
      partition,
      replication.leaderEpoch,
    );
    const untold: string[] = [];
    const tell = async (region: string) => {
      try {
        await this.#tell(election, region);
      } catch (error) {
        if (isEdgeLogError(error) && error.code === "FENCED_LEADER_EPOCH") return;
        console.error(
          `edgelog: ${region} not told of epoch ${replication.leaderEpoch}; the controller will re-send`,
          error,
        );
        untold.push(region);
      }
    };
    // The leader first: its followers then hear of the epoch from it as well.
    await tell(replication.leader);
    await Promise.all(replication.replicas.filter((region) => region !== replication.leader).map(tell));
    for (const region of untold) this.#remember(election, region);
    return untold;
  }

  /** The alarm's share: re-sends what is due, then re-arms for the next. */
  async onAlarm(): Promise<void> {
    await handleDueRows<PendingRow>({
      sql: this.#host.sql,
      table: "election_pending",
      dueColumn: "next_at",
      limit: MAX_RESENDS_PER_ALARM,
      now: this.#host.now(),
      handle: (row) => this.#resend(row),
      wakeAt: (at) => this.#host.wakeAt(at),
    });
  }

  /** Replicas still to be told, and re-sends made (for tests and operators). */
  state(): { pending: PendingDelivery[]; resends: number } {
    const pending = this.#host.sql
      .exec<PendingRow>("SELECT * FROM election_pending ORDER BY topic, partition, region")
      .toArray()
      .map((r) => ({
        topic: r.topic,
        partition: r.partition,
        region: r.region,
        leaderEpoch: r.leader_epoch,
        attempts: r.attempts,
      }));
    return { pending, resends: this.#resends };
  }

  async #resend(row: PendingRow): Promise<void> {
    const current = this.#host.record(row.topic, row.partition);
    if (
      current === null ||
      current.topicId !== row.topic_id ||
      current.replication.leaderEpoch !== row.leader_epoch ||
      !current.replication.replicas.includes(row.region)
    ) {
      this.#forget(row);
      return;
    }
    const election: Election = {
      prefix: row.prefix,
      topic: row.topic,
      topicId: row.topic_id,
      partition: row.partition,
      replication: current.replication,
    };
    this.#resends++;
    try {
      await this.#tell(election, row.region);
    } catch (error) {
      const code = isEdgeLogError(error) ? error.code : undefined;
      // The replica already knows a newer epoch, or is gone: nothing left to tell it.
      if (code === "FENCED_LEADER_EPOCH" || code === "UNKNOWN_TOPIC_OR_PARTITION") {
        this.#forget(row);
        return;
      }
      const attempts = row.attempts + 1;
      const delay = Math.min(RESEND_MAX_MS, RESEND_BASE_MS * 2 ** Math.min(attempts, 16));
      this.#host.sql.exec(
        "UPDATE election_pending SET attempts = ?, next_at = ? WHERE topic = ? AND partition = ? AND region = ? AND leader_epoch = ?",
        attempts,
        this.#host.now() + delay,
        row.topic,
        row.partition,
        row.region,
        row.leader_epoch,
      );
      return;
    }
    this.#forget(row);
  }

  #remember(election: Election, region: string): void {
    const sql = this.#host.sql;
    const count = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM election_pending").one().n;
    if (count >= MAX_PENDING) {
      console.error(
        `edgelog: ${MAX_PENDING} election messages pending; ${region} will learn from pushes only`,
      );
      return;
    }
    const at = this.#host.now() + RESEND_BASE_MS;
    sql.exec(
      `INSERT INTO election_pending (topic, partition, region, prefix, topic_id, leader_epoch, attempts, next_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?)
       ON CONFLICT (topic, partition, region) DO UPDATE SET
         prefix = excluded.prefix, topic_id = excluded.topic_id, leader_epoch = excluded.leader_epoch,
         attempts = 0, next_at = excluded.next_at`,
      election.topic,
      election.partition,
      region,
      election.prefix,
      election.topicId,
      election.replication.leaderEpoch,
      at,
    );
    this.#host.wakeAt(at);
  }

  #forget(row: PendingRow): void {
    this.#host.sql.exec(
      "DELETE FROM election_pending WHERE topic = ? AND partition = ? AND region = ? AND leader_epoch = ?",
      row.topic,
      row.partition,
      row.region,
      row.leader_epoch,
    );
  }

  async #tell(election: Election, region: string): Promise<void> {
    const { prefix, topicId, partition, replication } = election;
    assertControlDelivered(this.#host.env, prefix, region);
    await crossRegion(this.#host.env, prefix, { to: region });
    const stub = this.#host.replica(prefix, topicId, partition, region);
    const plain = plainReplication(replication);
    const call: Promise<RpcResult<LeaderEpochs>> =
      region === replication.leader ? stub.becomeLeader(topicId, plain) : stub.becomeFollower(topicId, plain);
    unwrap(await withTimeout(call, MAX_CONTROL_CALL_MS, `${region}'s replica`));
  }
}

/** The record's own fields only: RPC arguments must be plain data. */
export function plainReplication(r: PartitionReplication): PartitionReplication {
  return { leader: r.leader, replicas: [...r.replicas], isr: [...r.isr], leaderEpoch: r.leaderEpoch };
}
