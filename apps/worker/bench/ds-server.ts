/**
 * Runs the Durable Streams reference server (`@durable-streams/server`) in its own Node process for the
 * benchmarks, so it has a process to itself like the Workers under `wrangler dev`: in memory, or file-backed
 * when a data directory is given. Prints `edgelog-bench-ds-url <url>` on a line once listening; stops on SIGTERM.
 * Response compression is off, as on the local Worker, so neither side spends CPU on gzip over loopback.
 * Run: `node apps/worker/bench/ds-server.ts [dataDir]`.
 */
import { DurableStreamTestServer } from "@durable-streams/server";
import { READY_MARKER } from "./peers.ts";

const dataDir = process.argv[2];
const server = new DurableStreamTestServer({
  port: 0,
  compression: false,
  longPollTimeout: 30_000,
  ...(dataDir === undefined ? {} : { dataDir }),
});
const url = await server.start();
// The server logs on stdout too: the URL line carries a marker the parent looks for.
console.log(`${READY_MARKER}${url}`);
process.on("SIGTERM", () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
