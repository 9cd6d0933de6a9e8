// Issue 12 finding 4 in workerd: a topic create whose partition objects fail part-way leaves no partition object
// holding data and no topic row.
import { env, runInDurableObject } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { expectEdgeLogError } from "@edgelog/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DurableObjectLogStore, PartitionObject, partitionObjectName } from "../src/index.ts";
import type { PartitionConfiguration } from "../src/partition-object.ts";

afterEach(() => vi.restoreAllMocks());

describe("TopicsObject create failure", () => {
  it("destroys the partition objects it configured when one fails, so none is orphaned", async () => {
    const prefix = "create-failure/";
    const store = new DurableObjectLogStore(env, { namespacePrefix: prefix });
    const original = PartitionObject.prototype.configure;
    let topicId = "";
    vi.spyOn(PartitionObject.prototype, "configure").mockImplementation(async function (
      this: PartitionObject,
      configuration: PartitionConfiguration,
    ) {
      topicId = configuration.topicId;
      if (configuration.partition === 17) {
        return {
          ok: false,
          error: { code: "UNKNOWN_SERVER_ERROR", message: "SQLITE_CANTOPEN", context: {} },
        };
      }
      return original.call(this, configuration);
    });
    await expectEdgeLogError(
      store.createTopic({ name: "big", partitions: 25, config: DEFAULT_TOPIC_CONFIG }),
      "UNKNOWN_SERVER_ERROR",
    );
    expect(topicId).not.toBe("");
    expect(await store.getTopic("big")).toBeNull();
    for (let partition = 0; partition < 25; partition++) {
      const stub = env.PARTITIONS.get(
        env.PARTITIONS.idFromName(partitionObjectName(prefix, topicId, partition, "wnam")),
      );
      const tables = await runInDurableObject(stub, async (_object, state) =>
        state.storage.sql
          .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
          .toArray(),
      );
      expect(tables, `partition ${partition}`).toEqual([]);
    }
    vi.restoreAllMocks();
    // The name is free again.
    expect(
      (await store.createTopic({ name: "big", partitions: 2, config: DEFAULT_TOPIC_CONFIG })).partitions,
    ).toBe(2);
  });
});
