/**
 * `EdgeLogError` through an RPC boundary that keeps only `message`: simulated by rebuilding each thrown error
 * as a bare `Error(message)`, which is what Workers RPC delivers (the workerd round trip is tested in
 * apps/worker's binding tests).
 */
import { describe, expect, it } from "vitest";
import { EdgeLogError, fromRpcError, isEdgeLogError, toRpcError, withEdgeLogErrors } from "../src/index.ts";

/** What the caller of an RPC method sees of an error: its message only. */
const acrossRpc = (error: Error): Error => new Error(error.message);

describe("rpc errors", () => {
  it("keeps the code, message and context", () => {
    const original = new EdgeLogError("OFFSET_OUT_OF_RANGE", "offset 9 is out of range", {
      context: { topic: "orders", partition: 0, offset: 9, highWatermark: 3 },
    });
    const rebuilt = fromRpcError(acrossRpc(toRpcError(original)));
    expect(isEdgeLogError(rebuilt)).toBe(true);
    const error = rebuilt as EdgeLogError;
    expect(error.code).toBe("OFFSET_OUT_OF_RANGE");
    expect(error.message).toBe("offset 9 is out of range");
    expect(error.context).toEqual({ topic: "orders", partition: 0, offset: 9, highWatermark: 3 });
    expect(error.retriable).toBe(false);
  });

  it("keeps a context named like Object.prototype members as data", () => {
    const original = new EdgeLogError("GROUP_ID_NOT_FOUND", "no group", {
      context: { groupId: "__proto__" },
    });
    const error = fromRpcError(acrossRpc(toRpcError(original))) as EdgeLogError;
    expect(error.context.groupId).toBe("__proto__");
  });

  it("leaves other errors alone", () => {
    const runtime = new Error("Worker exceeded CPU time limit.");
    expect(fromRpcError(runtime)).toBe(runtime);
    const braces = new Error("{not json");
    expect(fromRpcError(braces)).toBe(braces);
    const unknownCode = new Error(JSON.stringify({ code: "NOPE", message: "x" }));
    expect(fromRpcError(unknownCode)).toBe(unknownCode);
    const constructorCode = new Error(JSON.stringify({ code: "constructor", message: "x" }));
    expect(fromRpcError(constructorCode)).toBe(constructorCode);
    expect(fromRpcError("text")).toBe("text");
  });

  it("calls an RPC stub's methods without reading their properties (`apply` would be a remote method)", async () => {
    // Like a Workers RPC stub: every property of a method is another remote method, `apply` and `call` too.
    const method = new Proxy(async () => "sent", {
      get: (_, property) => () => Promise.reject(new Error(`remote method ${String(property)}`)),
    });
    const stub = new Proxy({}, { get: () => method });
    await expect(withEdgeLogErrors(stub as { send(): Promise<string> }).send()).resolves.toBe("sent");
  });

  it("wraps a stub so that callers switch on error.code", async () => {
    const stub = {
      async describeTopic(name: string): Promise<string> {
        throw acrossRpc(toRpcError(new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", `no topic "${name}"`)));
      },
      async ok(): Promise<number> {
        return 1;
      },
      sync(): number {
        throw acrossRpc(toRpcError(new EdgeLogError("INVALID_REQUEST", "bad")));
      },
      label: "edgelog",
    };
    const log = withEdgeLogErrors(stub);
    await expect(log.ok()).resolves.toBe(1);
    await expect(log.describeTopic("x")).rejects.toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION" });
    expect(() => log.sync()).toThrow(EdgeLogError);
    expect(log.label).toBe("edgelog");
    expect((log as unknown as { then?: unknown }).then).toBeUndefined();
  });
});
