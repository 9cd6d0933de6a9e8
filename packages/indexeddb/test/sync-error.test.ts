// toSyncError: only network-level failures are retriable timeouts; anything unknown is reported as itself.
import { EdgeLogError } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { isUnexpectedFailure, toSyncError } from "../src/sync-error.ts";

describe("toSyncError", () => {
  it("passes an EdgeLogError through unchanged", () => {
    const error = new EdgeLogError("THROTTLING_QUOTA_EXCEEDED", "slow down");
    expect(toSyncError(error, "upstream")).toBe(error);
    expect(isUnexpectedFailure(error)).toBe(false);
  });

  it("makes aborts and timeouts, and an upstream call's TypeError, retriable REQUEST_TIMED_OUT", () => {
    const failures: [unknown, "upstream" | "local"][] = [
      [new DOMException("aborted", "AbortError"), "local"],
      [new DOMException("timed out", "TimeoutError"), "upstream"],
      [new TypeError("Failed to fetch"), "upstream"],
    ];
    for (const [cause, source] of failures) {
      const error = toSyncError(cause, source);
      expect(error).toMatchObject({ code: "REQUEST_TIMED_OUT", retriable: true, cause });
      expect(isUnexpectedFailure(error)).toBe(false);
    }
  });

  it("reports anything else (a local TypeError, a RangeError, a thrown string) as unexpected and final", () => {
    for (const cause of [new TypeError("x is undefined"), new RangeError("bad"), "a string"]) {
      const error = toSyncError(cause, "local");
      expect(error).toMatchObject({ code: "UNKNOWN_SERVER_ERROR", retriable: false, cause });
      expect(error.message).toContain(cause instanceof Error ? cause.message : cause);
      expect(isUnexpectedFailure(error)).toBe(true);
    }
    // A server's own UNKNOWN_SERVER_ERROR is an answer, not an unexpected failure here.
    expect(
      isUnexpectedFailure(new EdgeLogError("UNKNOWN_SERVER_ERROR", "HTTP 500", { retriable: true })),
    ).toBe(false);
  });
});
