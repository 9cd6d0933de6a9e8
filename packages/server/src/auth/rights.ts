/**
 * @module
 * The one table from route to the right it needs (docs/http-api.md "Authentication"). `route()` looks every
 * declared path up here and refuses to declare one that is missing, so no route can be added without deciding
 * who may call it. Rights that depend on the body (`consume` on each topic of a commit or a `/v1/wait`) are
 * checked by those routes with `requireRight` once the body is read, still before anything is written.
 */

/** What a route needs: nothing, any valid token, `admin`, or a right on the topic / group of a path parameter. */
export type Need =
  | { readonly kind: "open" }
  | { readonly kind: "token" }
  | { readonly kind: "admin" }
  | { readonly kind: "topic"; readonly rights: readonly ("produce" | "consume")[] }
  | { readonly kind: "group" };

const OPEN: Need = { kind: "open" };
const TOKEN: Need = { kind: "token" };
const ADMIN: Need = { kind: "admin" };
const PRODUCE: Need = { kind: "topic", rights: ["produce"] };
const CONSUME: Need = { kind: "topic", rights: ["consume"] };
const PRODUCE_OR_CONSUME: Need = { kind: "topic", rights: ["produce", "consume"] };
const GROUP: Need = { kind: "group" };

/** `METHOD path` → need, for every route of /v1 (HEAD follows GET). */
export const ROUTE_RIGHTS: ReadonlyMap<string, Need> = new Map<string, Need>([
  ["GET /v1/health", OPEN],
  // Listing names every topic and group of the deployment: an operator's view.
  ["GET /v1/topics", ADMIN],
  ["POST /v1/topics", ADMIN],
  // Producers read a topic's partition count, consumers too.
  ["GET /v1/topics/:topic", PRODUCE_OR_CONSUME],
  ["DELETE /v1/topics/:topic", ADMIN],
  // Changes a topic's configs (retention, compaction): an operator's act, like creating it.
  ["PATCH /v1/topics/:topic", ADMIN],
  ["POST /v1/topics/:topic/partitions", ADMIN],
  ["POST /v1/topics/:topic/records", PRODUCE],
  ["POST /v1/topics/:topic/partitions/:partition/batches", PRODUCE],
  ["GET /v1/topics/:topic/partitions/:partition/records", CONSUME],
  ["GET /v1/topics/:topic/partitions/:partition/batches", CONSUME],
  ["GET /v1/topics/:topic/partitions/:partition/offsets", CONSUME],
  ["POST /v1/topics/:topic/partitions/:partition/delete-records", ADMIN],
  // Moves a partition's leadership between regions: an operator's act.
  ["POST /v1/topics/:topic/partitions/:partition/elect", ADMIN],
  ["GET /v1/groups", ADMIN],
  ["POST /v1/groups/:group/heartbeat", GROUP],
  // Plus `consume` on each committed topic, and `admin` for a commit without a member (a reset).
  ["POST /v1/groups/:group/offsets", GROUP],
  ["GET /v1/groups/:group/offsets", GROUP],
  ["GET /v1/groups/:group", GROUP],
  ["DELETE /v1/groups/:group", ADMIN],
  // Share groups (an extension): plus `consume` on each topic a fetch reads or acknowledges, and `produce` on a
  // dead-letter topic a config change names.
  ["GET /v1/share-groups", ADMIN],
  ["POST /v1/share-groups/:group/fetch", GROUP],
  ["POST /v1/share-groups/:group/acknowledge", GROUP],
  ["PATCH /v1/share-groups/:group/config", GROUP],
  ["GET /v1/share-groups/:group", GROUP],
  ["DELETE /v1/share-groups/:group", ADMIN],
  // Names every Durable Stream of the deployment, as the topic listing names every topic.
  ["GET /v1/streams", ADMIN],
  // Plus `consume` on each topic named in the body.
  ["POST /v1/wait", TOKEN],
  // The caller's own token, read back: any valid token.
  ["GET /v1/whoami", TOKEN],
  // Regions and replication, for choosing a new topic's placement: an operator's view.
  ["GET /v1/cluster", ADMIN],
  // Development only (EDGELOG_FAULTS=true): cuts a region off.
  ["PUT /v1/faults/regions/:region", ADMIN],
]);

/** The need of `METHOD path`; throws for a route missing from the table (a programming error, at start-up). */
export function needOf(method: string, path: string): Need {
  const need = ROUTE_RIGHTS.get(`${method.toUpperCase()} ${path}`);
  if (need === undefined)
    throw new Error(`route ${method.toUpperCase()} ${path} has no entry in ROUTE_RIGHTS`);
  return need;
}

/** What a Durable Streams method needs on the stream's topic: read = consume, append/create = produce. */
export function streamNeed(method: string): Need {
  switch (method) {
    case "GET":
    case "HEAD":
      return CONSUME;
    case "POST":
    case "PUT":
      return PRODUCE;
    case "OPTIONS":
      return OPEN;
    default:
      // DELETE, and any other method (answered 405 by the protocol, but only to a caller with a right).
      return ADMIN;
  }
}
