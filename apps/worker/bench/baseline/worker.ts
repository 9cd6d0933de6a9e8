/**
 * The benchmark baseline: a bare Worker in front of one SQLite Durable Object that stores each request body as a
 * single row and hands rows back by number — what a partition costs with no log semantics at all. edgelog's
 * figures are reported as ratios against this, measured in the same run.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  BASELINE: DurableObjectNamespace<BaselineObject>;
}

export class BaselineObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  }

  append(body: ArrayBuffer): number {
    return Number(
      this.ctx.storage.sql.exec("INSERT INTO rows (body) VALUES (?) RETURNING id", body).one().id,
    );
  }

  read(id: number): ArrayBuffer | null {
    const row = this.ctx.storage.sql.exec("SELECT body FROM rows WHERE id = ?", id).toArray()[0];
    return row === undefined ? null : (row.body as ArrayBuffer);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.BASELINE.get(env.BASELINE.idFromName("baseline"));
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/append" && request.method === "POST") {
      return Response.json({ id: await stub.append(await request.arrayBuffer()) });
    }
    if (url.pathname === "/read") {
      const body = await stub.read(Number(url.searchParams.get("id")));
      return body === null ? new Response("not found", { status: 404 }) : new Response(body);
    }
    return new Response("not found", { status: 404 });
  },
};
