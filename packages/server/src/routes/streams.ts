/**
 * @module
 * `GET /v1/streams` (extension): the Durable Streams of the deployment with their protocol state, page by page
 * (`ds/list-streams.ts`). The console's Streams screen reads it; `/ds` itself has no listing.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { DEFAULT_STREAMS_PAGE, listStreams, MAX_STREAMS_PAGE } from "../ds/list-streams.ts";
import { MAX_TOPIC_NAME_LENGTH } from "../ds/names.ts";
import { invalidRequest } from "../errors.ts";
import { integerQuery } from "../params.ts";
import { route } from "../route.ts";

export function streamRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/streams", {
    get: async (c) => {
      const limit = integerQuery(c, "limit") ?? DEFAULT_STREAMS_PAGE;
      if (limit < 1 || limit > MAX_STREAMS_PAGE) {
        throw invalidRequest(`query parameter "limit" must be 1..${MAX_STREAMS_PAGE}`, { limit });
      }
      const after = c.req.query("after") ?? null;
      if (after !== null && after.length > MAX_TOPIC_NAME_LENGTH) {
        throw invalidRequest(
          `query parameter "after" is a topic name of at most ${MAX_TOPIC_NAME_LENGTH} characters`,
        );
      }
      return c.json(await listStreams(c.var.store, { after, limit, nowMs: c.var.now() }));
    },
  });
}
