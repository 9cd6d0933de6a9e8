/**
 * @module
 * Leader election and leader-epoch truncation, the rules every replicated store applies, written once.
 *
 * - `planElection`: the controller's decision for an elect request (Kafka's ElectLeaders): the region must be a
 *   replica (`INVALID_REQUEST`), not already the leader (`ELECTION_NOT_NEEDED`) and in sync
 *   (`ELIGIBLE_LEADERS_NOT_AVAILABLE`); leadership moves under `leaderEpoch + 1`, the in-sync set unchanged.
 * - `planFailover`: the controller's decision when the leader is lost: the reachable in-sync replica with the
 *   largest log end leads (ties: replica order) and the lost leader leaves the in-sync set, as Kafka fences a dead
 *   broker; with none, and only when the topic allows unclean election, the most caught-up reachable out-of-sync
 *   replica leads alone.
 * - The leader-epoch table (KIP-101): each replica records, for every epoch that wrote to its log, the offset
 *   the epoch started at. A replica whose log may have diverged (an old leader) asks its new leader for the end
 *   offset of its own last epoch and truncates there — not to the high watermark, which may lie below records
 *   every in-sync replica holds and so would drop acknowledged writes.
 * - `truncateProducerState`: the idempotent producer's memory must not remember batches a truncation removed,
 *   or a retry of a lost batch would be answered `duplicate` and lost for good.
 */
import { EdgeLogError } from "../errors.ts";
import type { TopicPartition } from "../store.ts";
import type { ProducerState } from "./producer-state.ts";
import type { PartitionReplication } from "./replication.ts";

/** Epochs a replica remembers (the oldest are dropped): truncation only ever looks at the recent ones. */
export const MAX_LEADER_EPOCHS_RETAINED = 64;

/** One row of the leader-epoch table: epoch `epoch`, led by `leader`, wrote its first batch at `startOffset`. */
export interface LeaderEpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
  readonly leader: string;
}

/** The replication after electing `region` (throws when the election is refused, see the module comment). */
export function planElection(
  tp: TopicPartition,
  current: PartitionReplication,
  region: string,
): PartitionReplication {
  const context = { topic: tp.topic, partition: tp.partition, region, leaderEpoch: current.leaderEpoch };
  if (!current.replicas.includes(region)) {
    throw new EdgeLogError(
      "INVALID_REQUEST",
      `${region} holds no replica of ${tp.topic}/${tp.partition} (replicas: ${current.replicas.join(", ")})`,
      { context },
    );
  }
  if (current.leader === region) {
    throw new EdgeLogError("ELECTION_NOT_NEEDED", `${region} already leads ${tp.topic}/${tp.partition}`, {
      context,
    });
  }
  if (!current.isr.includes(region)) {
    throw new EdgeLogError(
      "ELIGIBLE_LEADERS_NOT_AVAILABLE",
      `${region}'s replica of ${tp.topic}/${tp.partition} is not in sync (in sync: ${current.isr.join(", ")})`,
      { context },
    );
  }
  return {
    leader: region,
    replicas: [...current.replicas],
    isr: [...current.isr],
    leaderEpoch: current.leaderEpoch + 1,
  };
}

/** A replica the controller could reach while failing over, and its log end as it answered. */
export interface FailoverCandidate {
  readonly region: string;
  readonly logEnd: number;
}

/** What `planFailover` decided: the new replication, and whether an out-of-sync replica was chosen. */
export interface FailoverPlan {
  readonly next: PartitionReplication;
  /** An unclean election: the new leader may lack records that were acknowledged (they are lost). */
  readonly unclean: boolean;
}

/**
 * The replication after the leader of `current` was lost, given the replicas that answered (`candidates`; the lost
 * leader and regions without a replica are ignored). `null` when nobody may lead: no in-sync replica answered and
 * unclean election is off (or nobody answered at all) — the partition stays unavailable until one comes back.
 */
export function planFailover(
  current: PartitionReplication,
  candidates: readonly FailoverCandidate[],
  uncleanAllowed: boolean,
): FailoverPlan | null {
  const lost = current.leader;
  const answered = new Map<string, number>();
  for (const c of candidates) {
    if (c.region !== lost && current.replicas.includes(c.region)) answered.set(c.region, c.logEnd);
  }
  // Replica order breaks ties: walk the replicas, keep the first of the largest log ends.
  const best = (eligible: (region: string) => boolean): string | undefined => {
    let chosen: string | undefined;
    let end = -1;
    for (const region of current.replicas) {
      const logEnd = answered.get(region);
      if (logEnd !== undefined && eligible(region) && logEnd > end) {
        chosen = region;
        end = logEnd;
      }
    }
    return chosen;
  };
  const clean = best((region) => current.isr.includes(region));
  if (clean !== undefined) {
    return {
      next: {
        leader: clean,
        replicas: [...current.replicas],
        isr: current.isr.filter((region) => region !== lost),
        leaderEpoch: current.leaderEpoch + 1,
      },
      unclean: false,
    };
  }
  const unclean = uncleanAllowed ? best(() => true) : undefined;
  if (unclean === undefined) return null;
  return {
    next: {
      leader: unclean,
      replicas: [...current.replicas],
      isr: [unclean],
      leaderEpoch: current.leaderEpoch + 1,
    },
    unclean: true,
  };
}

/**
 * KIP-101's OffsetsForLeaderEpoch answered from `entries` (ascending by epoch): the end offset of `epoch` in this
 * log — the start of the first later epoch, or `logEnd` when `epoch` is the latest. An epoch this log never saw
 * ends where the next one it saw starts (the asker's records of that epoch are not here).
 */
export function endOffsetForEpoch(
  entries: readonly LeaderEpochEntry[],
  epoch: number,
  logEnd: number,
): number {
  for (const entry of entries) if (entry.epoch > epoch) return Math.min(entry.startOffset, logEnd);
  return logEnd;
}

/**
 * Where a replica's log must be cut so it is a prefix of its leader's: at the leader's end offset for the
 * replica's last epoch, when the replica holds more than that; `null` when nothing diverges. A replica whose last
 * epoch is older than any the leader still keeps (it missed more than `MAX_LEADER_EPOCHS_RETAINED` elections)
 * cannot be compared: any part of its log may have diverged, so it is cut to its log start and rebuilt from the
 * leader.
 */
export function divergenceOffset(
  local: readonly LeaderEpochEntry[],
  localLogEnd: number,
  leader: readonly LeaderEpochEntry[],
  leaderLogEnd: number,
  localLogStart: number,
): number | null {
  const last = local.at(-1);
  if (last === undefined) return null;
  const oldestKnown = leader[0]?.epoch ?? 0;
  if (last.epoch < oldestKnown) return localLogEnd > localLogStart ? localLogStart : null;
  const end = endOffsetForEpoch(leader, last.epoch, leaderLogEnd);
  return end < localLogEnd ? end : null;
}

/**
 * The leader's table entries a follower takes after its log grew to `logEnd`: the epochs that wrote below it
 * and that it does not have yet (ascending, bounded).
 */
export function mergeLeaderEpochs(
  local: readonly LeaderEpochEntry[],
  leader: readonly LeaderEpochEntry[],
  logEnd: number,
): LeaderEpochEntry[] {
  const lastLocal = local.at(-1)?.epoch ?? -1;
  const added = leader.filter((e) => e.epoch > lastLocal && e.startOffset < logEnd);
  return added.length === 0 ? [...local] : withoutEmptyEpochs([...local, ...added]);
}

/** The epoch entry a replica records when it becomes leader at `epoch` with its log ending at `logEnd`. */
export function leaderEpochStarted(
  local: readonly LeaderEpochEntry[],
  epoch: number,
  leader: string,
  logEnd: number,
): LeaderEpochEntry[] {
  const kept = local.filter((e) => e.epoch < epoch);
  return withoutEmptyEpochs([...kept, { epoch, startOffset: logEnd, leader }]);
}

/**
 * Drops the epochs that wrote nothing (a later epoch starts where they did): a leader records its epoch when
 * elected, a follower only the epochs it received batches of — without this, an epoch whose leader wrote
 * nothing before the next election would make identical logs carry different tables. Bounded, ascending.
 */
function withoutEmptyEpochs(entries: readonly LeaderEpochEntry[]): LeaderEpochEntry[] {
  const kept = entries.filter((e, i) => {
    const next = entries[i + 1];
    return next === undefined || next.startOffset > e.startOffset;
  });
  return kept.slice(-MAX_LEADER_EPOCHS_RETAINED);
}

/** The table after truncating the log to `offset`: epochs that started at or past it wrote nothing left. */
export function truncateLeaderEpochs(local: readonly LeaderEpochEntry[], offset: number): LeaderEpochEntry[] {
  return local.filter((e) => e.startOffset < offset);
}

/**
 * A producer's state after the log was truncated to `offset`: its remembered batches at or past it are gone;
 * `undefined` when none is left (the producer is then unknown and must start a new epoch, as after retention —
 * refusing is safe, answering `duplicate` for a batch that no longer exists is not).
 */
export function truncateProducerState(state: ProducerState, offset: number): ProducerState | undefined {
  const batches = state.batches.filter((b) => b.lastOffset < offset);
  if (batches.length === state.batches.length) return state;
  return batches.length === 0 ? undefined : { ...state, batches };
}
