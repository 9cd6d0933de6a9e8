/**
 * @module
 * Automatic failover, the controller's side (Kafka's controller fencing a broker whose session expired). Stores
 * report a call into a partition's leader that failed or timed out (`report`); the controller remembers when the
 * leader first failed and, from its alarm, probes it — a cheap call with a deadline. A leader that answers clears
 * the suspicion; one that has failed for the leader session timeout (`EDGELOG_LEADER_SESSION_TIMEOUT_MS`, Kafka's
 * `broker.session.timeout.ms`) is replaced: the reachable in-sync replica with the largest log end leads under
 * epoch + 1 (core's `planFailover`), recorded and announced by the admin election's path, and the lost leader
 * leaves the in-sync set so `acks: "all"` stops waiting for it. With no in-sync replica reachable the partition
 * stays leaderless — probed on, clients answered `LEADER_NOT_AVAILABLE` — unless the topic allows unclean
 * election (`unclean.leader.election.enable`).
 *
 * State: one row per suspected partition (`failover_suspects`, at most `MAX_SUSPECTS`) in the controller's SQLite,
 * so a controller evicted mid-suspicion resumes from its alarm. The topic table is not touched here: reading a
 * partition's replication and recording an election go through the host.
 */
import type { TopicConfig } from "@edgelog/core";
import {
  type FailoverCandidate,
  type PartitionReplication,
  planFailover,
  uncleanLeaderElectionEnabled,
} from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "../env.ts";
import type { LeaderEpochs, PartitionObject } from "../partition-object.ts";
import { type RpcResult, unwrap } from "../rpc-result.ts";
import { withTimeout } from "./call-timeout.ts";
import { handleDueRows } from "./due-rows.ts";
import { crossRegion } from "./fault-switch.ts";

/** Kafka's `broker.session.timeout.ms` default. */
export const DEFAULT_LEADER_SESSION_TIMEOUT_MS = 9_000;
/** Partitions suspected at once; reports past it are dropped (the stores report again a second later). */
export const MAX_SUSPECTS = 10_000;
/** Suspects checked by one alarm run; the rest wait for the next, which comes at once. */
const MAX_CHECKS_PER_ALARM = 100;

/** What the controller records for a replicated partition. */
export interface ControllerPartition {
  readonly topicId: string;
  readonly config: TopicConfig;
  readonly replication: PartitionReplication;
}

/** What the controller object lends failover: its storage, its record, the election path and its alarm. */
export interface FailoverHost {
  readonly env: EdgeLogEnv;
  readonly sql: SqlStorage;
  /** A replicated partition as recorded; `null` when the topic is gone, unreplicated or lacks the partition. */
  partition(topic: string, partition: number): ControllerPartition | null;
  /**
   * Records and announces `next` (the admin election's path) if the partition still has that topic id and epoch;
   * answers whether it did.
   */
  elect(
    prefix: string,
    topic: string,
    partition: number,
    expected: { readonly topicId: string; readonly leaderEpoch: number },
    next: PartitionReplication,
  ): Promise<boolean>;
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

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS failover_suspects (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    leader TEXT NOT NULL,
    leader_epoch INTEGER NOT NULL,
    since INTEGER NOT NULL,
    next_check INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
  )
`;

/** A partition whose leader is suspected lost, since the first report of its epoch. */
export interface Suspect {
  readonly topic: string;
  readonly partition: number;
  readonly leader: string;
  readonly leaderEpoch: number;
  readonly since: number;
}

export interface FailoverState {
  readonly suspects: readonly Suspect[];
  readonly probes: number;
  readonly elections: number;
}

type SuspectRow = {
  topic: string;
  partition: number;
  prefix: string;
  topic_id: string;
  leader: string;
  leader_epoch: number;
  since: number;
  next_check: number;
};

/** The leader session timeout of a deployment: a positive integer of ms, else the default. */
export function leaderSessionTimeoutMs(env: Pick<EdgeLogEnv, "EDGELOG_LEADER_SESSION_TIMEOUT_MS">): number {
  const ms = Number(env.EDGELOG_LEADER_SESSION_TIMEOUT_MS);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : DEFAULT_LEADER_SESSION_TIMEOUT_MS;
}

export class FailoverController {
  readonly #host: FailoverHost;
  readonly #sessionMs: number;
  /** Time between two probes of a suspected leader: a fifth of the session, within 50 ms..1 s. */
  readonly #intervalMs: number;
  /** Deadline of one probe: a third of the session, within 50 ms..5 s (longer counts as a failure). */
  readonly #probeMs: number;
  #count: number | null = null;
  /** Calls made to probe replicas, and elections made, since this instance started (for the call counts). */
  #probes = 0;
  #elections = 0;

  constructor(host: FailoverHost) {
    this.#host = host;
    this.#sessionMs = leaderSessionTimeoutMs(host.env);
    this.#intervalMs = clamp(Math.round(this.#sessionMs / 5), 50, 1_000);
    this.#probeMs = clamp(Math.round(this.#sessionMs / 3), 50, 5_000);
    host.sql.exec(SCHEMA);
  }

  /**
   * A store's call into the partition's leader at `leaderEpoch` failed. The first report of an epoch starts the
   * session clock and arms the alarm; later ones, and reports from a stale epoch, change nothing. Answers the
   * partition's recorded replication (the store may already find a newer leader there), `null` if unknown.
   */
  report(prefix: string, topic: string, partition: number, leaderEpoch: number): PartitionReplication | null {
    const state = this.#host.partition(topic, partition);
    if (state === null) return null;
    const { replication } = state;
    if (leaderEpoch !== replication.leaderEpoch || this.#suspect(topic, partition) !== undefined) {
      return replication;
    }
    const count = this.#countSuspects();
    if (count >= MAX_SUSPECTS) {
      console.error(
        `edgelog: ${MAX_SUSPECTS} partitions already suspected; report of ${topic}/${partition} dropped`,
      );
      return replication;
    }
    const now = this.#host.now();
    this.#host.sql.exec(
      `INSERT INTO failover_suspects (topic, partition, prefix, topic_id, leader, leader_epoch, since, next_check)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      topic,
      partition,
      prefix,
      state.topicId,
      replication.leader,
      replication.leaderEpoch,
      now,
      now,
    );
    this.#count = count + 1;
    this.#host.wakeAt(now);
    return replication;
  }

  /** The alarm's share: checks the suspects that are due, then re-arms for the next. */
  async onAlarm(): Promise<void> {
    await handleDueRows<SuspectRow>({
      sql: this.#host.sql,
      table: "failover_suspects",
      dueColumn: "next_check",
      limit: MAX_CHECKS_PER_ALARM,
      now: this.#host.now(),
      handle: (row) => this.#check(row),
      wakeAt: (at) => this.#host.wakeAt(at),
    });
  }

  /** The suspected partitions and this instance's counters (for tests and operators). */
  state(): FailoverState {
    const suspects = this.#host.sql
      .exec<SuspectRow>("SELECT * FROM failover_suspects ORDER BY topic, partition")
      .toArray()
      .map((r) => ({
        topic: r.topic,
        partition: r.partition,
        leader: r.leader,
        leaderEpoch: r.leader_epoch,
        since: r.since,
      }));
    return { suspects, probes: this.#probes, elections: this.#elections };
  }

  async #check(row: SuspectRow): Promise<void> {
    const host = this.#host;
    const state = host.partition(row.topic, row.partition);
    // Elected meanwhile (by an admin, or a failover that won), or gone: this suspicion is over.
    if (
      state === null ||
      state.topicId !== row.topic_id ||
      state.replication.leaderEpoch !== row.leader_epoch
    ) {
      this.#forget(row);
      return;
    }
    if ((await this.#probe(row.prefix, row.topic_id, row.partition, row.leader)) !== null) {
      this.#forget(row);
      return;
    }
    const now = host.now();
    if (now - row.since < this.#sessionMs) {
      this.#recheck(row, now);
      return;
    }
    const others = state.replication.replicas.filter((region) => region !== row.leader);
    const answers = await Promise.all(
      others.map(async (region): Promise<FailoverCandidate | null> => {
        const answer = await this.#probe(row.prefix, row.topic_id, row.partition, region);
        return answer === null ? null : { region, logEnd: answer.logEnd };
      }),
    );
    const candidates = answers.filter((c): c is FailoverCandidate => c !== null);
    const plan = planFailover(state.replication, candidates, uncleanLeaderElectionEnabled(state.config));
    if (plan === null) {
      // Leaderless: nobody may lead. Keep probing; the leader's return (or an in-sync replica's) ends it.
      this.#recheck(row, host.now());
      return;
    }
    if (plan.unclean) {
      console.warn(
        `edgelog: unclean election of ${plan.next.leader} for ${row.topic}/${row.partition} (epoch ${plan.next.leaderEpoch}): records only the lost in-sync replicas held are lost`,
      );
    }
    try {
      const expected = { topicId: row.topic_id, leaderEpoch: row.leader_epoch };
      if (await host.elect(row.prefix, row.topic, row.partition, expected, plan.next)) this.#elections++;
    } catch (error) {
      // Recorded or not, the next check decides: a moved epoch ends the suspicion, an unmoved one tries again.
      console.error(`edgelog: failover of ${row.topic}/${row.partition} did not complete`, error);
      this.#recheck(row, host.now());
      return;
    }
    this.#forget(row);
  }

  /** The replica's epochs and log end, or `null` when it cannot be reached within the probe deadline. */
  async #probe(
    prefix: string,
    topicId: string,
    partition: number,
    region: string,
  ): Promise<LeaderEpochs | null> {
    try {
      // A slow region's wait counts against the probe's deadline, as a slow answer would.
      const call = (async (): Promise<RpcResult<LeaderEpochs>> => {
        await crossRegion(this.#host.env, prefix, { to: region });
        this.#probes++;
        return this.#host.replica(prefix, topicId, partition, region).leaderEpochs();
      })();
      return unwrap(await withTimeout(call, this.#probeMs, `${region}'s replica`));
    } catch {
      return null;
    }
  }

  #suspect(topic: string, partition: number): SuspectRow | undefined {
    return this.#host.sql
      .exec<SuspectRow>("SELECT * FROM failover_suspects WHERE topic = ? AND partition = ?", topic, partition)
      .toArray()[0];
  }

  #recheck(row: SuspectRow, now: number): void {
    this.#host.sql.exec(
      "UPDATE failover_suspects SET next_check = ? WHERE topic = ? AND partition = ? AND leader_epoch = ?",
      now + this.#intervalMs,
      row.topic,
      row.partition,
      row.leader_epoch,
    );
  }

  #forget(row: SuspectRow): void {
    this.#host.sql.exec(
      "DELETE FROM failover_suspects WHERE topic = ? AND partition = ? AND leader_epoch = ?",
      row.topic,
      row.partition,
      row.leader_epoch,
    );
    this.#count = null;
  }

  #countSuspects(): number {
    this.#count ??= this.#host.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM failover_suspects").one().n;
    return this.#count;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
