/**
 * Consumer groups end to end: the real Worker (`wrangler dev`, each group coordinated by its GroupObject) and
 * consumers built with `@edgelog/client`, each with its own connection, running the same scenario as core's
 * tests over the memory store: three members share a 6-partition topic a producer keeps writing to, one leaves
 * cleanly (nothing is processed twice), one vanishes without leaving (after its session timeout the last
 * member takes over; everything is processed at least once) — with one long-poll per partition, and with every
 * member's waits shared in one `POST /v1/wait` (`live: "shared"`).
 */
import { HttpLogStore } from "@edgelog/client";
import { runConsumerGroupScenario } from "@edgelog/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

describe("a consumer group against the local Worker", () => {
  let worker: LocalWorker;
  const stores: HttpLogStore[] = [];

  beforeAll(async () => {
    worker = await startLocalWorker();
  }, 120_000);

  afterAll(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    await worker?.stop();
  });

  for (const live of ["long-poll", "shared"] as const) {
    it(`shares partitions, hands them over on leave and after a member vanishes (live: ${live})`, async () => {
      await runConsumerGroupScenario({
        storeFor: () => {
          const store = new HttpLogStore({ url: worker.url, live });
          stores.push(store);
          return store;
        },
        topic: `group-orders-${live}`,
        groupId: `billing-${live}`,
        sessionTimeoutMs: 2_000,
        timeoutMs: 60_000,
      });
    });
  }
});
