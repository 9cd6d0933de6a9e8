import { EdgeLogError, type ErrorCode } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor, formatError, usageError } from "../src/exit-codes.ts";
import { parseCommand, parseInteger, parsePair, parseTime } from "../src/options.ts";

describe("exit codes", () => {
  it.each<[ErrorCode, number]>([
    ["INVALID_TOPIC", EXIT.USAGE],
    ["INVALID_CONFIG", EXIT.USAGE],
    ["MESSAGE_TOO_LARGE", EXIT.USAGE],
    ["OFFSET_OUT_OF_RANGE", EXIT.USAGE],
    ["AUTHENTICATION_FAILED", EXIT.AUTH],
    ["TOPIC_AUTHORIZATION_FAILED", EXIT.AUTH],
    ["GROUP_AUTHORIZATION_FAILED", EXIT.AUTH],
    ["CLUSTER_AUTHORIZATION_FAILED", EXIT.AUTH],
    ["UNKNOWN_TOPIC_OR_PARTITION", EXIT.NOT_FOUND],
    ["GROUP_ID_NOT_FOUND", EXIT.NOT_FOUND],
    ["TOPIC_ALREADY_EXISTS", EXIT.CONFLICT],
    ["NON_EMPTY_GROUP", EXIT.CONFLICT],
    ["INVALID_PRODUCER_EPOCH", EXIT.CONFLICT],
    ["REQUEST_TIMED_OUT", EXIT.ERROR],
    ["UNKNOWN_SERVER_ERROR", EXIT.ERROR],
    ["STORAGE_QUOTA_EXCEEDED", EXIT.ERROR],
  ])("%s exits %i", (code, exit) => {
    expect(exitCodeFor(new EdgeLogError(code, "x"))).toBe(exit);
  });

  it("anything but an EdgeLogError exits 1", () => {
    expect(exitCodeFor(new Error("boom"))).toBe(EXIT.ERROR);
    expect(exitCodeFor("boom")).toBe(EXIT.ERROR);
  });

  it("prints edgelog: CODE: message, with a hint for usage mistakes and unreachable servers", () => {
    expect(formatError(new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", "no topic"), "consume")).toBe(
      "edgelog: UNKNOWN_TOPIC_OR_PARTITION: no topic\n",
    );
    expect(formatError(usageError("missing TOPIC"), "produce")).toBe(
      "edgelog: INVALID_REQUEST: missing TOPIC\nRun 'edgelog produce --help' for usage.\n",
    );
    const refused = new EdgeLogError(
      "REQUEST_TIMED_OUT",
      "request to http://x/v1/topics failed: fetch failed",
      {
        cause: new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") }),
      },
    );
    expect(formatError(refused, "topics list")).toContain("cause: connect ECONNREFUSED 127.0.0.1:1");
    expect(formatError(new Error("boom"), "x")).toBe("edgelog: boom\n");
  });
});

describe("option values", () => {
  it("parses non-negative integers within bounds and nothing else", () => {
    expect(parseInteger("42", "count")).toBe(42);
    for (const bad of ["-1", "1.5", "1e3", "", " 1", "0x10", "99999999999999999999"]) {
      expect(() => parseInteger(bad, "count")).toThrow(/--count/);
    }
    expect(() => parseInteger("5", "partitions", 1, 4)).toThrow(/1\.\.4/);
  });

  it("parses ISO times and epoch milliseconds", () => {
    expect(parseTime("2026-01-31T12:00:00Z", "from-time")).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseTime("2026-01-31", "from-time")).toBe(Date.UTC(2026, 0, 31));
    expect(parseTime("1700000000000", "from-time")).toBe(1_700_000_000_000);
    expect(() => parseTime("yesterday", "from-time")).toThrow(/--from-time/);
  });

  it("splits KEY=VALUE at the first =, and refuses an empty key", () => {
    expect(parsePair("a=b=c", "header")).toEqual(["a", "b=c"]);
    expect(parsePair("__proto__=", "header")).toEqual(["__proto__", ""]);
    expect(() => parsePair("=v", "header")).toThrow(/KEY=VALUE/);
    expect(() => parsePair("novalue", "header")).toThrow(/KEY=VALUE/);
  });

  it("turns parseArgs' errors into usage errors and bounds repeatable flags", () => {
    const options = { header: { type: "string", multiple: true } } as const;
    expect(() => parseCommand(["--nope"], options)).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST" }),
    );
    expect(() => parseCommand(["--header"], options)).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST" }),
    );
    const many = Array.from({ length: 1001 }, () => ["--header", "a=b"]).flat();
    expect(() => parseCommand(many, options)).toThrow(/at most 1000/);
    expect(parseCommand(["t", "--header", "a=b", "--url", "http://x"], options)).toMatchObject({
      positionals: ["t"],
      values: { header: ["a=b"], url: "http://x" },
    });
  });
});
