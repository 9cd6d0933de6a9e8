/**
 * @module
 * The Worker entry (wrangler.toml `main`): `@edgelog/server` over Durable Objects, the Durable Object classes
 * the bindings name, and `EdgeLogService`, the entrypoint other Workers bind to (`[[services]] entrypoint =
 * "EdgeLogService"`) — all re-exported because Cloudflare looks them up on the entry module.
 */
import {
  DurableObjectLogStore,
  type EdgeLogEnv,
  type QuotaObject,
  quotaObjectLeaser,
} from "@edgelog/durable-objects";
import { createApp, leasedQuotaGate } from "@edgelog/server";
import type { Env } from "./env.ts";

export {
  BroadcastObject,
  EdgeLogService,
  GroupObject,
  PartitionObject,
  QuotaObject,
  ShareGroupObject,
  TopicsObject,
} from "@edgelog/durable-objects";

// `createApp` keeps one store per env object, i.e. one per isolate, so the store's metadata cache and stubs
// outlive single requests. `Env` types the namespaces opaquely; wrangler.toml binds them to these classes.
// The quota gate is made once per isolate too: it holds the allowances this isolate leased from each subject's
// QuotaObject, so most requests are admitted without a Durable Object call (docs/architecture.md "Quotas").
export default createApp<Env>({
  store: (env) => new DurableObjectLogStore(env as unknown as EdgeLogEnv),
  quota: {
    gate: (env) => leasedQuotaGate(quotaObjectLeaser(env.QUOTAS as DurableObjectNamespace<QuotaObject>)),
  },
});
