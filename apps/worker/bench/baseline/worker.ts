/**
 * The benchmark baseline: a bare Worker in front of SQLite Durable Objects with no log semantics at all — what
 * a partition costs when it only stores and hands back bytes. Two shapes, one object per `?name=`:
 *   - one row per request: `POST /append` stores the request body as one row, `GET /read?id=N` returns it;
 *   - one row per record: `POST /append-records` takes edgelog's JSON produce body and inserts each record as a
 *     row in one transaction, `GET /read-records?from=N&limit=M` returns rows as JSON.
 * edgelog's figures are reported as ratios against these, measured in the same run (apps/bench).
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  BASELINE: DurableObjectNamespace<BaselineObject>;
}

interface StoredRecord {
  key: string | null;
  value: string;
}

export class BaselineObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, key TEXT, value TEXT NOT NULL)",
    );
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

  /** One INSERT per record; synchronous SQL calls with no await between them commit as one transaction. */
  appendRecords(records: StoredRecord[]): number {
    for (const r of records) {
      this.ctx.storage.sql.exec("INSERT INTO records (key, value) VALUES (?, ?)", r.key, r.value);
    }
    return records.length;
  }

  readRecords(from: number, limit: number): StoredRecord[] {
    return this.ctx.storage.sql
      .exec<{ key: string | null; value: string }>(
        "SELECT key, value FROM records WHERE id >= ? ORDER BY id LIMIT ?",
        from,
        limit,
      )
      .toArray()
      .map((r) => ({ key: r.key, value: r.value }));
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const stub = env.BASELINE.get(env.BASELINE.idFromName(url.searchParams.get("name") ?? "baseline"));
    if (url.pathname === "/append" && request.method === "POST") {
      return Response.json({ id: await stub.append(await request.arrayBuffer()) });
    }
    if (url.pathname === "/read") {
      const body = await stub.read(Number(url.searchParams.get("id")));
      return body === null ? new Response("not found", { status: 404 }) : new Response(body);
    }
    if (url.pathname === "/append-records" && request.method === "POST") {
      const { records } = (await request.json()) as { records: { key?: string; value: string }[] };
      const rows = records.map((r) => ({ key: r.key ?? null, value: r.value }));
      return Response.json({ stored: await stub.appendRecords(rows) });
    }
    if (url.pathname === "/read-records") {
      const from = Number(url.searchParams.get("from") ?? 1);
      const limit = Number(url.searchParams.get("limit") ?? 1000);
      const records = await stub.readRecords(from, limit);
      return Response.json({ records, next: from + records.length });
    }
    return new Response("not found", { status: 404 });
  },
};
