/**
 * @module
 * A user's own Worker with edgelog inside it: the app's logging and API-key middleware run first, its own routes
 * stay its own, and edgelog serves `/events/v1/...` and `/events/ds/...` with the rights the app's middleware
 * granted (`auth: { rights }`), instead of edgelog's bearer tokens.
 */
import { DurableObjectLogStore, type EdgeLogServiceEnv } from "@edgelog/durable-objects";
import { createApp } from "@edgelog/server";
import { Hono } from "hono";

// Cloudflare finds Durable Object classes (and entrypoints) on the entry module.
export {
  BroadcastObject,
  EdgeLogService,
  GroupObject,
  PartitionObject,
  TopicsObject,
} from "@edgelog/durable-objects";

interface Env extends EdgeLogServiceEnv {
  /** Full access (a secret). */
  readonly APP_KEY?: string;
  /** Read-only access (a secret). */
  readonly APP_READ_KEY?: string;
}

type AppEnv = { Bindings: Env; Variables: { scopes: string } };

const app = new Hono<AppEnv>();

// The app's logging: every request, edgelog's included, with an id the response carries.
app.use("*", async (c, next) => {
  const id = crypto.randomUUID();
  const started = Date.now();
  await next();
  c.res.headers.set("X-Request-Id", id);
  console.log(
    `${id} ${c.req.method} ${new URL(c.req.url).pathname} ${c.res.status} ${Date.now() - started}ms`,
  );
});

// The app's own authentication, for its API and for edgelog: an API key, mapped to edgelog scopes.
app.use("/events/*", async (c, next) => {
  const key = c.req.header("X-App-Key") ?? "";
  if (await sameSecret(key, c.env.APP_KEY)) c.set("scopes", "admin");
  else if (await sameSecret(key, c.env.APP_READ_KEY)) c.set("scopes", "consume:*");
  else return c.json({ error: "missing or wrong X-App-Key" }, 401);
  await next();
  return undefined;
});

// The app's own routes.
app.get("/", (c) => c.text("my-app: events live under /events"));
app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name") }));

// edgelog under /events, trusting the rights the middleware above set (nothing set → 401).
app.route(
  "/events",
  createApp<Env>({
    store: (env) => new DurableObjectLogStore(env),
    auth: { rights: (c) => c.get("scopes") as string | undefined },
  }),
);

export default app;

/** Compares a presented key with a configured one in constant time; an unset key matches nothing. */
async function sameSecret(presented: string, expected: string | undefined): Promise<boolean> {
  if (expected === undefined || expected === "") return false;
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
