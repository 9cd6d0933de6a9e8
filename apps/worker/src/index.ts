/**
 * @module
 * The Worker entry (wrangler.toml `main`): `@edgelog/server` over Durable Objects, the Durable Object classes
 * the bindings name, and `EdgeLogService`, the entrypoint other Workers bind to (`[[services]] entrypoint =
 * "EdgeLogService"`) — all re-exported because Cloudflare looks them up on the entry module.
 */
import { DurableObjectLogStore, type EdgeLogEnv } from "@edgelog/durable-objects";
import { createApp } from "@edgelog/server";
import type { Env } from "./env.ts";

export { EdgeLogService, GroupObject, PartitionObject, TopicsObject } from "@edgelog/durable-objects";

// `createApp` keeps one store per env object, i.e. one per isolate, so the store's metadata cache and stubs
// outlive single requests. `Env` types the namespaces opaquely; wrangler.toml binds them to these classes.
export default createApp<Env>({
  store: (env) => new DurableObjectLogStore(env as unknown as EdgeLogEnv),
});
