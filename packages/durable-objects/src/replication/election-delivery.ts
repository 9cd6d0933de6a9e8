/**
 * @module
 * The controller telling replicas of an election (Kafka's LeaderAndIsr): the new leader first (`becomeLeader`),
 * then every other replica (`becomeFollower`: the old leader stops taking appends and truncates what only it
 * wrote). Every message has a deadline, so a region that hangs cannot hold the controller. The admin election and
 * automatic failover both announce through here.
 */
import type { PartitionReplication } from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "../env.ts";
import type { LeaderEpochs, PartitionObject } from "../partition-object.ts";
import { type RpcResult, unwrap } from "../rpc-result.ts";
import { withTimeout } from "./call-timeout.ts";
import { assertReachable } from "./fault-switch.ts";

/** Longest wait for one controller message to a replica. */
export const MAX_CONTROL_CALL_MS = 5_000;

export interface DeliveryHost {
  readonly env: EdgeLogEnv;
  replica(
    prefix: string,
    topicId: string,
    partition: number,
    region: string,
  ): DurableObjectStub<PartitionObject>;
}

/** One partition's election, as recorded. */
export interface Election {
  readonly prefix: string;
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly replication: PartitionReplication;
}

export class ElectionDelivery {
  readonly #host: DeliveryHost;

  constructor(host: DeliveryHost) {
    this.#host = host;
  }

  /**
   * Tells the new leader (rejects when it cannot be told), then every other replica; a follower that cannot be
   * told now learns the epoch from the new leader's first push.
   */
  async announce(election: Election): Promise<void> {
    const { replication } = election;
    await this.#tell(election, replication.leader);
    await Promise.all(
      replication.replicas
        .filter((region) => region !== replication.leader)
        .map(async (region) => {
          try {
            await this.#tell(election, region);
          } catch (error) {
            console.error(
              `edgelog: ${region} not told of epoch ${replication.leaderEpoch}; the leader's push will`,
              error,
            );
          }
        }),
    );
  }

  async #tell(election: Election, region: string): Promise<void> {
    const { prefix, topicId, partition, replication } = election;
    assertReachable(this.#host.env, prefix, region);
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
