// The bindings of test/wrangler.toml, as `env` from "cloudflare:test" sees them.
import type {
  BroadcastObject,
  GroupObject,
  PartitionObject,
  ShareGroupObject,
  TopicsObject,
} from "../src/index.ts";

declare global {
  namespace Cloudflare {
    interface Env {
      PARTITIONS: DurableObjectNamespace<PartitionObject>;
      TOPICS: DurableObjectNamespace<TopicsObject>;
      GROUPS: DurableObjectNamespace<GroupObject>;
      SHARE_GROUPS: DurableObjectNamespace<ShareGroupObject>;
      LIVE_SHARDS: DurableObjectNamespace<BroadcastObject>;
      EDGELOG_LIVE_SOCKETS_PER_OBJECT: string;
      REGIONS: string;
      EDGELOG_FAULTS: string;
      EDGELOG_LEADER_SESSION_TIMEOUT_MS: string;
      // The Jepsen test's settings (vitest.config.ts passes them from the environment; "" when unset).
      JEPSEN_SEED: string;
      JEPSEN_RUNS: string;
      JEPSEN_SHRINKS: string;
      JEPSEN_PATH: string;
    }
  }
}
