/**
 * @module
 * The route × token matrix, shared by the in-process test (matrix.test.ts) and the one against `wrangler dev`
 * (test/auth-e2e.test.ts): every route of the rights table with a right that allows it and one that does not,
 * over resources named per run, seeded and observed through the HTTP API only, so both runs check the same thing.
 */
import { expect } from "vitest";

export interface RouteCase {
  readonly method: string;
  /** The table's path template, to check that every entry is covered. */
  readonly route: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  /** A scope that holds the right, and the status the route then answers. */
  readonly right: string;
  readonly ok: number;
  /** A scope that lacks it, and the code of the 403. */
  readonly wrong: string;
  readonly refusedWith: string;
}

/** The resources one case acts on: a two-partition topic, a group with a commit, a stream, an unused name. */
export interface RouteNames {
  readonly topic: string;
  readonly group: string;
  readonly stream: string;
  readonly fresh: string;
}

/** Sends a request as the API's clients do; `bearer` undefined sends no token. */
export type Call = (
  method: string,
  path: string,
  bearer?: string,
  body?: string,
  contentType?: string,
) => Promise<Response> | Response;

/** Tokens for a scope: one that verifies, and the three kinds that must not. */
export interface TokenMaker {
  valid(scope: string): Promise<string>;
  expired(scope: string): Promise<string>;
  badSignature(scope: string): Promise<string>;
  algNone(scope: string): string;
}

const json = (value: unknown) => JSON.stringify(value);

export function routeCases(n: RouteNames): RouteCase[] {
  const TP0 = `/v1/topics/${n.topic}/partitions/0`;
  return [
    {
      method: "GET",
      route: "/v1/topics",
      path: "/v1/topics",
      right: "admin",
      ok: 200,
      wrong: "consume:* produce:* group:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/topics",
      path: "/v1/topics",
      body: json({ name: n.fresh }),
      right: "admin",
      ok: 201,
      wrong: "produce:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/topics/:topic",
      path: `/v1/topics/${n.topic}`,
      right: `consume:${n.topic}`,
      ok: 200,
      wrong: "consume:other",
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/topics/:topic",
      path: `/v1/topics/${n.topic}`,
      right: `produce:${n.topic.slice(0, 3)}*`,
      ok: 200,
      wrong: `group:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "DELETE",
      route: "/v1/topics/:topic",
      path: `/v1/topics/${n.topic}`,
      right: "admin",
      ok: 204,
      wrong: `produce:${n.topic} consume:${n.topic}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "PATCH",
      route: "/v1/topics/:topic",
      path: `/v1/topics/${n.topic}`,
      body: json({ config: { "retention.ms": 60_000 } }),
      right: "admin",
      ok: 200,
      wrong: `produce:${n.topic} consume:${n.topic}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/topics/:topic/partitions",
      path: `/v1/topics/${n.topic}/partitions`,
      body: json({ count: 3 }),
      right: "admin",
      ok: 200,
      wrong: `produce:${n.topic}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/topics/:topic/records",
      path: `/v1/topics/${n.topic}/records`,
      body: json({ records: [{ value: "v" }] }),
      right: `produce:${n.topic}`,
      ok: 200,
      wrong: `consume:${n.topic} produce:${n.topic.slice(0, -1)}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    // A batch that fails its checksum: the right lets it reach the decoder (400), which writes nothing either.
    {
      method: "POST",
      route: "/v1/topics/:topic/partitions/:partition/batches",
      path: `${TP0}/batches`,
      body: "not a batch",
      contentType: "application/vnd.edgelog.batch",
      right: `produce:${n.topic}`,
      ok: 400,
      wrong: `consume:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/topics/:topic/partitions/:partition/batches",
      path: `${TP0}/batches`,
      right: `consume:${n.topic}`,
      ok: 200,
      wrong: `produce:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/topics/:topic/partitions/:partition/records",
      path: `${TP0}/records`,
      right: "consume:*",
      ok: 200,
      wrong: `produce:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/topics/:topic/partitions/:partition/offsets",
      path: `${TP0}/offsets`,
      right: `consume:${n.topic}`,
      ok: 200,
      wrong: "group:*",
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/topics/:topic/partitions/:partition/delete-records",
      path: `${TP0}/delete-records`,
      body: json({ beforeOffset: 1 }),
      right: "admin",
      ok: 200,
      wrong: `produce:${n.topic} consume:${n.topic}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/groups",
      path: "/v1/groups",
      right: "admin",
      ok: 200,
      wrong: "group:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/streams",
      path: "/v1/streams",
      right: "admin",
      ok: 200,
      wrong: "produce:* consume:* group:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/groups/:group/heartbeat",
      path: `/v1/groups/${n.group}/heartbeat`,
      body: json({ memberId: "m", memberEpoch: 0, topics: [n.topic] }),
      right: `group:${n.group}`,
      ok: 200,
      wrong: `group:h consume:${n.topic}`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    // A commit without a member resets the group: admin only.
    {
      method: "POST",
      route: "/v1/groups/:group/offsets",
      path: `/v1/groups/${n.group}/offsets`,
      body: json({ offsets: [{ topic: n.topic, partition: 0, offset: 1 }] }),
      right: "admin",
      ok: 204,
      wrong: `group:${n.group} consume:${n.topic}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/groups/:group/offsets",
      path: `/v1/groups/${n.group}/offsets`,
      body: json({ offsets: [{ topic: n.topic, partition: 0, offset: 1 }] }),
      right: "admin",
      ok: 204,
      wrong: `consume:${n.topic}`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/groups/:group/offsets",
      path: `/v1/groups/${n.group}/offsets`,
      right: `group:${n.group}`,
      ok: 200,
      wrong: "consume:*",
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/groups/:group",
      path: `/v1/groups/${n.group}`,
      right: "group:*",
      ok: 200,
      wrong: `group:${n.group}g`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    {
      method: "DELETE",
      route: "/v1/groups/:group",
      path: `/v1/groups/${n.group}`,
      right: "admin",
      ok: 204,
      wrong: `group:${n.group}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    // Share groups: the group's right, and `consume` on each topic a fetch reads or acknowledges.
    {
      method: "GET",
      route: "/v1/share-groups",
      path: "/v1/share-groups",
      right: "admin",
      ok: 200,
      wrong: "group:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/share-groups/:group/fetch",
      path: `/v1/share-groups/${n.group}/fetch`,
      body: json({ memberId: "m", sessionEpoch: 0, topics: [n.topic], maxRecords: 1 }),
      right: `group:${n.group} consume:${n.topic}`,
      ok: 200,
      wrong: `consume:${n.topic}`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/share-groups/:group/fetch",
      path: `/v1/share-groups/${n.group}/fetch`,
      body: json({ memberId: "m", sessionEpoch: 0, topics: [n.topic], maxRecords: 1 }),
      right: `group:${n.group} consume:${n.topic}`,
      ok: 200,
      wrong: `group:${n.group} produce:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/share-groups/:group/acknowledge",
      path: `/v1/share-groups/${n.group}/acknowledge`,
      body: json({
        memberId: "m",
        sessionEpoch: 0,
        acknowledgements: [{ topic: n.topic, partition: 0, firstOffset: 0, lastOffset: 0, type: "accept" }],
      }),
      right: `group:${n.group} consume:${n.topic}`,
      ok: 200,
      wrong: `group:${n.group}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "PATCH",
      route: "/v1/share-groups/:group/config",
      path: `/v1/share-groups/${n.group}/config`,
      body: json({ config: { "share.delivery.count.limit": 3 } }),
      right: `group:${n.group}`,
      ok: 200,
      wrong: `consume:${n.topic} produce:${n.topic}`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    // Naming a dead-letter topic makes the group write there: `produce` on it too.
    {
      method: "PATCH",
      route: "/v1/share-groups/:group/config",
      path: `/v1/share-groups/${n.group}/config`,
      body: json({ config: { "errors.deadletterqueue.topic.name": n.topic } }),
      right: `group:${n.group} produce:${n.topic}`,
      ok: 200,
      wrong: `group:${n.group} consume:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/share-groups/:group",
      path: `/v1/share-groups/${n.group}`,
      right: `group:${n.group}`,
      ok: 200,
      wrong: `group:${n.group}g consume:*`,
      refusedWith: "GROUP_AUTHORIZATION_FAILED",
    },
    {
      method: "DELETE",
      route: "/v1/share-groups/:group",
      path: `/v1/share-groups/${n.group}`,
      right: "admin",
      ok: 204,
      wrong: `group:${n.group}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/v1/wait",
      path: "/v1/wait",
      body: json({ partitions: [{ topic: n.topic, partition: 0, offset: 0 }] }),
      right: `consume:${n.topic}`,
      ok: 200,
      wrong: `consume:other produce:${n.topic}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/v1/cluster",
      path: "/v1/cluster",
      right: "admin",
      ok: 200,
      wrong: "consume:* produce:* group:*",
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
    // Durable Streams: the stream's topic name is the resource.
    {
      method: "PUT",
      route: "/ds PUT",
      path: `/ds/${n.fresh}`,
      contentType: "text/plain",
      right: `produce:${n.fresh}`,
      ok: 201,
      wrong: `consume:${n.fresh}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "POST",
      route: "/ds POST",
      path: `/ds/${n.stream}`,
      body: "hello",
      contentType: "text/plain",
      right: `produce:${n.stream}`,
      ok: 204,
      wrong: `consume:${n.stream}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "GET",
      route: "/ds GET",
      path: `/ds/${n.stream}?offset=-1`,
      right: `consume:${n.stream}`,
      ok: 200,
      wrong: `produce:${n.stream}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "HEAD",
      route: "/ds HEAD",
      path: `/ds/${n.stream}`,
      right: `consume:${n.stream}`,
      ok: 200,
      wrong: `produce:${n.stream}`,
      refusedWith: "TOPIC_AUTHORIZATION_FAILED",
    },
    {
      method: "DELETE",
      route: "/ds DELETE",
      path: `/ds/${n.stream}`,
      right: "admin",
      ok: 204,
      wrong: `produce:${n.stream} consume:${n.stream}`,
      refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
    },
  ];
}

/** Creates what the cases of `n` act on. */
export async function seedRoute(call: Call, admin: string, n: RouteNames): Promise<void> {
  const ok = async (res: Promise<Response> | Response, status: number) => {
    const answer = await res;
    expect(answer.status, `${answer.url} seeding`).toBe(status);
    await answer.body?.cancel();
  };
  await ok(call("POST", "/v1/topics", admin, json({ name: n.topic, partitions: 2 })), 201);
  await ok(
    call(
      "POST",
      `/v1/topics/${n.topic}/records`,
      admin,
      json({
        records: [
          { value: "a", partition: 0 },
          { value: "b", partition: 0 },
        ],
      }),
    ),
    200,
  );
  await ok(
    call(
      "POST",
      `/v1/groups/${n.group}/offsets`,
      admin,
      json({ offsets: [{ topic: n.topic, partition: 0, offset: 1 }] }),
    ),
    204,
  );
  await ok(
    call(
      "PATCH",
      `/v1/share-groups/${n.group}/config`,
      admin,
      json({ config: { "share.auto.offset.reset": "earliest" } }),
    ),
    200,
  );
  await ok(call("PUT", `/ds/${n.stream}`, admin, "", "text/plain"), 201);
  await ok(call("POST", `/ds/${n.stream}`, admin, "first", "text/plain"), 204);
}

/**
 * Everything a case's request could have written, as the API shows it to an admin: the case's own topic, stream,
 * unused name and group in full (existence, topic ids, log start and high watermarks, committed offsets). Nothing
 * global, so cases over different names can run at once.
 */
export async function snapshotApi(call: Call, admin: string, n: RouteNames): Promise<unknown> {
  const read = async (path: string) => {
    const res = await call("GET", path, admin);
    return { status: res.status, body: await res.json() };
  };
  return {
    topic: await read(`/v1/topics/${n.topic}`),
    stream: await read(`/v1/topics/${n.stream}`),
    fresh: await read(`/v1/topics/${n.fresh}`),
    committed: await read(`/v1/groups/${n.group}/offsets`),
    shareGroup: await read(`/v1/share-groups/${n.group}`),
  };
}

/** Runs one case: each bad token → 401, the wrong right → 403, nothing written by either, the right → `ok`. */
export async function checkRouteCase(
  c: RouteCase,
  call: Call,
  tokens: TokenMaker,
  snapshot: () => Promise<unknown>,
): Promise<void> {
  const label = `${c.method} ${c.path}`;
  const before = await snapshot();
  const send = (bearer?: string) => call(c.method, c.path, bearer, c.body, c.contentType);
  for (const [what, bearer] of [
    ["no token", undefined],
    ["expired", await tokens.expired(c.right)],
    ["bad signature", await tokens.badSignature(c.right)],
    ["alg none", tokens.algNone(c.right)],
  ] as const) {
    const res = await send(bearer);
    expect(res.status, `${label}: ${what}`).toBe(401);
    expect(res.headers.get("WWW-Authenticate"), `${label}: ${what}`).toMatch(/^Bearer realm="edgelog"/);
    if (c.method !== "HEAD") {
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe(
        "AUTHENTICATION_FAILED",
      );
    }
  }
  const refused = await send(await tokens.valid(c.wrong));
  expect(refused.status, `${label}: wrong right`).toBe(403);
  if (c.method !== "HEAD") {
    expect(((await refused.json()) as { error: { code: string } }).error.code, label).toBe(c.refusedWith);
  }
  expect(await snapshot(), `${label}: nothing written`).toEqual(before);
  const allowed = await send(await tokens.valid(c.right));
  expect(allowed.status, `${label}: right`).toBe(c.ok);
  await allowed.body?.cancel();
}
