// The follower's bookkeeping for reads near the reader (replication/follower-readers.ts): when it tells its leader
// it serves readers, and when it has to ask — once per reading period, again after a refusal or a failure.
import { describe, expect, it, vi } from "vitest";
import { FollowerReaders, READER_INTEREST_MS } from "../src/replication/follower-readers.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("FollowerReaders", () => {
  it("says it serves readers while one waits or waited within the interest period", () => {
    const readers = new FollowerReaders();
    expect(readers.answer(0, 1_000)).toBe(false);
    expect(readers.answer(1, 1_000)).toBe(true);
    readers.parked(1_000, false, async () => true);
    expect(readers.answer(0, 1_000 + READER_INTEREST_MS - 1)).toBe(true);
    expect(readers.answer(0, 1_000 + READER_INTEREST_MS)).toBe(false);
  });

  it("asks the leader only when it holds unshown records and its last answer said no; once per period", async () => {
    const readers = new FollowerReaders();
    const ask = vi.fn(async () => true);
    readers.parked(0, false, ask);
    expect(ask).not.toHaveBeenCalled();
    readers.answer(0, 10); // a push answered "readers" (interest from the park above)
    readers.parked(20, true, ask);
    expect(ask).not.toHaveBeenCalled();
    readers.answer(0, 20 + READER_INTEREST_MS); // interest expired: the leader was told "no readers"
    readers.parked(40 + READER_INTEREST_MS, true, ask);
    readers.parked(50 + READER_INTEREST_MS, true, ask);
    expect(ask).toHaveBeenCalledTimes(1);
    expect(readers.calls).toBe(1);
  });

  it("asks again at the next park after the leader refused or could not be reached", async () => {
    const readers = new FollowerReaders();
    const refused = vi.fn(async () => false);
    readers.parked(0, true, refused);
    await settle();
    const failed = vi.fn(async () => {
      throw new Error("unreachable");
    });
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    readers.parked(1, true, failed);
    await settle();
    quiet.mockRestore();
    const accepted = vi.fn(async () => true);
    readers.parked(2, true, accepted);
    readers.parked(3, true, accepted);
    expect([refused.mock.calls.length, failed.mock.calls.length, accepted.mock.calls.length]).toEqual([
      1, 1, 1,
    ]);
    expect(readers.calls).toBe(3);
  });
});
