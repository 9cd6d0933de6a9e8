/**
 * @module
 * Which replica serves a read (KIP-392's follower fetching), written once for every store that keeps replicas: the
 * reader's region is a preference and the store picks, as Kafka's broker does — that region's replica when it is
 * in the in-sync set and reachable, otherwise the leader. Never an error: a reader naming a region without a
 * replica of this partition simply reads from the leader.
 */
import type { PartitionReplication } from "./replication.ts";

/**
 * The follower region that should serve a read preferring `region`, or `undefined` for the leader: no preference,
 * an unreplicated partition, the leader's own region, a region without a replica, one out of the in-sync set (it
 * may be far behind) or one the caller knows it cannot reach.
 */
export function followerForRead(
  replication: PartitionReplication | null | undefined,
  region: string | undefined,
  reachable: (region: string) => boolean = () => true,
): string | undefined {
  if (region === undefined || replication === null || replication === undefined) return undefined;
  if (region === replication.leader || !replication.isr.includes(region)) return undefined;
  return reachable(region) ? region : undefined;
}
