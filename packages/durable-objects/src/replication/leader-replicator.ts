/**
 * @module
 * The leader's side of replication: after each group commit it pushes the new batches to every follower (one
 * call per follower per commit, carrying the leader epoch), tracks each follower's log end, advances the high
 * watermark to the in-sync replicas' committed offset, answers `acks: "all"` appends once it covers them, and asks
 * the controller to shrink the in-sync set when a follower lags longer than `replica.lag.time.max.ms` or to grow it
 * when a follower has caught up. A follower that is behind (it was unreachable, or just joined) is caught up from
 * its own log end, in bounded calls; while any follower is behind, a timer retries. Each follower has its own
 * single-flight loop and every call a timeout, so a slow or unreachable region never holds up the others.
 *
 * Push rather than pull: a pull from the follower's alarm costs a call per follower per poll even when nothing
 * was written, and adds the poll interval to every `acks: "all"` produce; a push costs exactly one call per
 * follower per group commit and acknowledges after one round trip. See docs/architecture.md "Replication".
 */
import { EdgeLogError, isEdgeLogError, type StoredBatch, type TopicConfig } from "@edgelog/core";
import {
  followerInSync,
  type LeaderEpochEntry,
  minInsyncReplicas,
  type PartitionReplication,
  replicaLagTimeMaxMs,
  replicatedHighWatermark,
} from "@edgelog/core/store-kit";
import {
  followersOf,
  isLeader,
  type ReplicaRole,
  type ReplicateRequest,
  type ReplicateResponse,
} from "./replica-role.ts";

/** Bytes of batches one replication call carries at most (a Workers RPC message is capped at 32 MiB). */
export const MAX_REPLICATION_BYTES_PER_CALL = 4 * 1024 * 1024;
/** Calls one catch-up of one follower makes in a round before yielding to the next round. */
const MAX_CALLS_PER_ROUND = 64;
/** Longest wait for one replication call: a region that does not answer counts as unreachable. */
const MAX_CALL_MS = 5_000;

/** What the leader's partition object lends the replicator. */
export interface ReplicationHost {
  role(): ReplicaRole;
  config(): TopicConfig;
  topicId(): string;
  /** The leader's log end offset (the next offset it will assign). */
  logEnd(): number;
  logStartOffset(): number;
  /** The leader-epoch table (KIP-101), sent with every push. */
  leaderEpochs(): LeaderEpochEntry[];
  highWatermark(): number;
  /** Records a higher high watermark (durably) and wakes the readers waiting for it. */
  advanceHighWatermark(highWatermark: number): void;
  /** Stored batches from `offset` on, within a byte budget (at least one when there is one). */
  batchesFrom(offset: number, maxBytes: number): StoredBatch[];
  /** One replication call to the follower in `region`; rejects when it cannot be reached. */
  replicate(region: string, request: ReplicateRequest): Promise<ReplicateResponse>;
  /** Asks the controller to record a new in-sync set for the current epoch; answers the recorded state. */
  alterIsr(isr: readonly string[]): Promise<PartitionReplication>;
  /** Takes the controller's answer as the role's new state. */
  adopt(replication: PartitionReplication): void;
  /** A follower refused a push as coming from a stale leader epoch: this leader was deposed without being told. */
  fenced(): void;
  now(): number;
}

interface AckWaiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class LeaderReplicator {
  readonly #host: ReplicationHost;
  /** Each follower's log end as last reported (or assumed: an in-sync follower holds at least the HW). */
  readonly #ends = new Map<string, number>();
  /** When each follower last held everything the leader had (Kafka's lastCaughtUpTime). */
  readonly #caughtUpAt = new Map<string, number>();
  readonly #acks = new Set<AckWaiter>();
  /** Per follower: a catch-up in flight, and whether a commit arrived during it (run again). */
  readonly #running = new Set<string>();
  readonly #again = new Set<string>();
  #isrChanging = false;
  /** The leader's log end at the last commit seen: a follower that held it was caught up until the next one. */
  #committedEnd: number;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #calls = 0;

  constructor(host: ReplicationHost) {
    this.#host = host;
    const role = host.role();
    const now = host.now();
    this.#committedEnd = host.logEnd();
    for (const region of followersOf(role)) {
      if (role.isr.includes(region)) {
        this.#ends.set(region, host.highWatermark());
        this.#caughtUpAt.set(region, now);
      } else {
        this.#ends.set(region, 0);
        this.#caughtUpAt.set(region, 0);
      }
    }
  }

  /** Replication calls made so far (for the call-count measurements). */
  get calls(): number {
    return this.#calls;
  }

  /** After a commit: push the new batches (single flight; a commit during a round triggers another round). */
  onCommit(): void {
    // Kafka's lastCaughtUpTime moves while an idle follower keeps fetching; pushed to, it is caught up until this
    // commit — else one write after an idle spell longer than replica.lag.time.max.ms drops every follower.
    const now = this.#host.now();
    for (const [region, end] of this.#ends) if (end >= this.#committedEnd) this.#caughtUpAt.set(region, now);
    this.#committedEnd = this.#host.logEnd();
    this.#kick();
  }

  /**
   * Resolves once the high watermark reaches `end` with enough replicas in sync; `NOT_ENOUGH_REPLICAS_AFTER_APPEND`
   * when the in-sync set shrank below `min.insync.replicas` meanwhile, `REQUEST_TIMED_OUT` after the timeout.
   */
  waitForHighWatermark(end: number): Promise<void> {
    if (this.#host.highWatermark() >= end) return this.#verdict();
    return new Promise((resolve, reject) => {
      const timeoutMs = replicaLagTimeMaxMs(this.#host.config()) + 10_000;
      const waiter: AckWaiter = {
        end,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.#acks.delete(waiter);
          this.#verdict().then(resolve, reject);
        },
        reject: (error) => {
          clearTimeout(waiter.timer);
          this.#acks.delete(waiter);
          reject(error);
        },
        timer: setTimeout(() => {
          waiter.reject(
            new EdgeLogError("REQUEST_TIMED_OUT", "the in-sync replicas did not acknowledge in time", {
              context: { offset: end - 1 },
            }),
          );
        }, timeoutMs),
      };
      this.#acks.add(waiter);
    });
  }

  /** Ends every wait (the partition was destroyed or stopped leading). */
  stop(error: unknown): void {
    for (const waiter of [...this.#acks]) waiter.reject(error);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }

  async #verdict(): Promise<void> {
    const role = this.#host.role();
    const min = minInsyncReplicas(this.#host.config());
    if (role.isr.length < min) {
      throw new EdgeLogError(
        "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        `written on the leader, but only ${role.isr.length} replica(s) are in sync (min.insync.replicas=${min})`,
        { context: { isr: role.isr.length, minInsyncReplicas: min } },
      );
    }
  }

  #kick(): void {
    const role = this.#host.role();
    if (!isLeader(role)) return;
    for (const region of followersOf(role)) void this.#kickFollower(region);
  }

  async #kickFollower(region: string): Promise<void> {
    if (this.#running.has(region)) {
      this.#again.add(region);
      return;
    }
    this.#running.add(region);
    try {
      do {
        this.#again.delete(region);
        await this.#catchUp(region);
        await this.#updateIsr();
        this.#advance();
      } while (this.#again.has(region) && isLeader(this.#host.role()));
    } catch (error) {
      console.error("edgelog: replication round failed", error);
    } finally {
      this.#running.delete(region);
    }
    this.#scheduleRetry();
  }

  /** Sends `region` what it lacks, from its log end, until it holds the leader's log or a call fails. */
  async #catchUp(region: string): Promise<void> {
    const host = this.#host;
    for (let call = 0; call < MAX_CALLS_PER_ROUND; call++) {
      const target = host.logEnd();
      const from = this.#ends.get(region) ?? 0;
      if (from >= target) {
        this.#caughtUpAt.set(region, host.now());
        return;
      }
      const batches = host.batchesFrom(from, MAX_REPLICATION_BYTES_PER_CALL);
      if (batches.length === 0) return;
      const role = host.role();
      let response: ReplicateResponse;
      try {
        this.#calls++;
        response = await withTimeout(
          host.replicate(region, {
            topicId: host.topicId(),
            leader: role.region,
            leaderEpoch: role.leaderEpoch,
            batches: batches.map((b) => ({
              baseOffset: b.baseOffset,
              logAppendTime: b.logAppendTime,
              payload: b.payload,
            })),
            highWatermark: host.highWatermark(),
            logStartOffset: host.logStartOffset(),
            leaderEpochs: host.leaderEpochs(),
            leaderLogEnd: target,
          }),
          MAX_CALL_MS,
        );
      } catch (error) {
        // Unreachable or refused: it stays where it was; the lag rule decides whether it stays in sync.
        if (isEdgeLogError(error) && error.code === "FENCED_LEADER_EPOCH") host.fenced();
        return;
      }
      this.#ends.set(region, response.logEnd);
      if (response.logEnd >= target) this.#caughtUpAt.set(region, host.now());
      this.#advance();
      // No progress from where it said it was: its log diverged (repair is leader-epoch truncation, not here).
      if (response.logEnd === from) return;
    }
  }

  /** Kafka's ISR rule: out when lagging past `replica.lag.time.max.ms`, back in once caught up. */
  async #updateIsr(): Promise<void> {
    // One change at a time: two concurrent proposals from one leader would race at the controller.
    if (this.#isrChanging) return;
    this.#isrChanging = true;
    try {
      await this.#proposeIsr();
    } finally {
      this.#isrChanging = false;
    }
  }

  async #proposeIsr(): Promise<void> {
    const host = this.#host;
    const role = host.role();
    const now = host.now();
    const config = host.config();
    const isr = role.replicas.filter((region) => {
      if (region === role.region) return true;
      const caughtUpAt = this.#caughtUpAt.get(region) ?? 0;
      if (role.isr.includes(region)) return followerInSync(caughtUpAt, now, config);
      return (this.#ends.get(region) ?? 0) >= host.logEnd();
    });
    if (isr.length === role.isr.length && isr.every((region) => role.isr.includes(region))) return;
    try {
      host.adopt(await host.alterIsr(isr));
    } catch (error) {
      // The controller could not be reached or refused (a newer epoch): keep the recorded set, try next round.
      console.error("edgelog: could not record the in-sync set", error);
    }
  }

  #advance(): void {
    const host = this.#host;
    const role = host.role();
    const ends = followersOf(role)
      .filter((region) => role.isr.includes(region))
      .map((region) => this.#ends.get(region) ?? 0);
    const hw = replicatedHighWatermark(host.highWatermark(), host.logEnd(), ends);
    if (hw > host.highWatermark()) host.advanceHighWatermark(hw);
    for (const waiter of [...this.#acks]) if (waiter.end <= hw) waiter.resolve();
  }

  /** While a follower is behind (or an ack waits), try again soon: that is also when a lagging follower leaves the ISR. */
  #scheduleRetry(): void {
    if (this.#retry !== null) return;
    const host = this.#host;
    const role = host.role();
    if (!isLeader(role)) return;
    const behind = followersOf(role).some((region) => (this.#ends.get(region) ?? 0) < host.logEnd());
    if (!behind && this.#acks.size === 0) return;
    const delay = Math.min(1_000, Math.max(20, Math.floor(replicaLagTimeMaxMs(host.config()) / 4)));
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#kick();
    }, delay);
  }
}

/** `call`, or `REQUEST_TIMED_OUT` after `ms` (the call itself cannot be cancelled across RPC; its answer is dropped). */
function withTimeout<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EdgeLogError("REQUEST_TIMED_OUT", `no answer from the replica in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([call, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
