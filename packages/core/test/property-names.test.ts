// Issue 12 finding 2: user strings that are Object.prototype property names must behave like any other name
// wherever core keys a table by them.
import { describe, expect, it } from "vitest";
import { EdgeLog, MemoryStore } from "../src/index.ts";
import { expectEdgeLogError } from "../src/testing/index.ts";
import { configEntriesToRecord } from "../src/topic-config.ts";

describe("Object.prototype names as user keys", () => {
  it("a config entry named __proto__ is an unknown config, refused like any other", async () => {
    const admin = new EdgeLog({ store: new MemoryStore() }).admin();
    for (const name of ["__proto__", "constructor", "toString"]) {
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "t", configEntries: [{ name, value: "1" }] }] }),
        "INVALID_CONFIG",
      );
    }
  });

  it("configEntriesToRecord keeps every name as an own entry", () => {
    const record = configEntriesToRecord([{ name: "__proto__", value: "x" }]);
    expect(Object.keys(record)).toEqual(["__proto__"]);
  });
});
