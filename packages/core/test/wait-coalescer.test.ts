import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReadResult, StoredBatch } from "../src/store.ts";
import { CALL_GRACE_MS, type WaitCall, WaitCoalescer } from "../src/store-kit/wait-coalescer.ts";

const batch = (baseOffset: number, sizeBytes: number): StoredBatch => ({
  baseOffset,
  lastOffset: baseOffset,
  recordCount: 1,
  maxTimestamp: 0,
  logAppendTime: 0,
  sizeBytes,
  payload: new Uint8Array(sizeBytes),
});

/** A store whose parked reads are answered by `append` or time out; each call is recorded. */
function fakeStore() {
  const calls: { offset: number; maxBytes: number; maxWaitMs: number; aborted: () => boolean }[] = [];
  const parked: { resolve: (r: ReadResult) => void; maxBytes: number }[] = [];
  let log: StoredBatch[] = [];
  const call: WaitCall = (request, signal) => {
    calls.push({ ...request, aborted: () => signal.aborted });
    const now = (): ReadResult => {
      const batches: StoredBatch[] = [];
      let budget = request.maxBytes;
      for (const b of log) {
        if (b.baseOffset < request.offset) continue;
        if (batches.length > 0 && b.sizeBytes > budget) break;
        batches.push(b);
        budget -= b.sizeBytes;
      }
      return { batches, logStartOffset: 0, highWatermark: log.length };
    };
    const first = now();
    if (first.batches.length > 0 || request.maxWaitMs === 0) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const entry = { resolve: () => resolve(now()), maxBytes: request.maxBytes };
      parked.push(entry);
      const timer = setTimeout(() => resolve(now()), request.maxWaitMs);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };
  const append = (...sizes: number[]) => {
    for (const size of sizes) log = [...log, batch(log.length, size)];
    for (const p of parked.splice(0)) p.resolve({ batches: [], logStartOffset: 0, highWatermark: 0 });
  };
  return { call, calls, append };
}

const KEY = "t\u00000\u00000";

describe("WaitCoalescer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("1,000 identical waits share one call, and one append answers them all", async () => {
    const store = fakeStore();
    const waits = new WaitCoalescer();
    const reads = Array.from({ length: 1_000 }, () =>
      waits.read(KEY, { offset: 0, maxBytes: 1_000, maxWaitMs: 30_000 }, store.call),
    );
    expect(store.calls).toHaveLength(1);
    store.append(10);
    const results = await Promise.all(reads);
    expect(new Set(results.map((r) => r.batches[0]?.baseOffset))).toEqual(new Set([0]));
    expect(store.calls).toHaveLength(1);
    expect(waits.callsInFlight).toBe(0);
  });

  it("a read joins only a call whose answer is its own: no smaller budget, no longer wait", async () => {
    const store = fakeStore();
    const waits = new WaitCoalescer();
    const big = waits.read(KEY, { offset: 0, maxBytes: 100, maxWaitMs: 10_000 }, store.call);
    // A smaller budget joins and gets the same prefix its own read would have had.
    const small = waits.read(KEY, { offset: 0, maxBytes: 1, maxWaitMs: 20_000 }, store.call);
    // A larger budget, or a shorter wait, needs a call of its own.
    const larger = waits.read(KEY, { offset: 0, maxBytes: 1_000, maxWaitMs: 10_000 }, store.call);
    const shorter = waits.read(KEY, { offset: 0, maxBytes: 50, maxWaitMs: 5_000 }, store.call);
    expect(store.calls.map((c) => [c.maxBytes, c.maxWaitMs])).toEqual([
      [100, 10_000],
      [1_000, 10_000],
      [50, 5_000],
    ]);
    store.append(40, 40, 40);
    expect((await big).batches.map((b) => b.sizeBytes)).toEqual([40, 40]);
    expect((await small).batches.map((b) => b.sizeBytes)).toEqual([40]);
    expect((await larger).batches.map((b) => b.sizeBytes)).toEqual([40, 40, 40]);
    expect((await shorter).batches.map((b) => b.sizeBytes)).toEqual([40]);
  });

  it("a read that outlasts a call's timeout waits on in the next call, for what is left of its time", async () => {
    const store = fakeStore();
    const waits = new WaitCoalescer();
    const first = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 1_000 }, store.call);
    await vi.advanceTimersByTimeAsync(500);
    // Ends later than the first call: joins it, then goes on alone.
    const second = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 1_000 }, store.call);
    expect(store.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(await first).toMatchObject({ batches: [] });
    expect(store.calls.map((c) => c.maxWaitMs)).toEqual([1_000, 500]);
    await vi.advanceTimersByTimeAsync(200);
    store.append(5);
    expect((await second).batches).toHaveLength(1);
    expect(store.calls).toHaveLength(2);
  });

  it("an aborted reader leaves; the last one to leave ends the call in the store", async () => {
    const store = fakeStore();
    const waits = new WaitCoalescer();
    const a = new AbortController();
    const b = new AbortController();
    const c = new AbortController();
    const ra = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 30_000, signal: a.signal }, store.call);
    const rb = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 30_000, signal: b.signal }, store.call);
    const rc = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 30_000, signal: c.signal }, store.call);
    // b did not make the call: it leaves, and the call goes on for a and c.
    b.abort(new Error("b left"));
    await expect(rb).rejects.toThrow("b left");
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]?.aborted()).toBe(false);
    c.abort(new Error("c left"));
    await expect(rc).rejects.toThrow("c left");
    a.abort(new Error("a left"));
    await expect(ra).rejects.toThrow("a left");
    expect(store.calls[0]?.aborted()).toBe(true);
    expect(waits.callsInFlight).toBe(0);
    // A new wait starts a new call.
    const rd = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 30_000 }, store.call);
    expect(store.calls).toHaveLength(2);
    store.append(1);
    expect((await rd).batches).toHaveLength(1);
  });

  it("the read that made a call leaving ends it: the others go on with one call of their own", async () => {
    // In a Worker the call belongs to its maker's request, which ends when the maker leaves: were the others to
    // stay on it, they would wait on a promise that never settles.
    const store = fakeStore();
    const waits = new WaitCoalescer();
    const maker = new AbortController();
    const rm = waits.read(
      KEY,
      { offset: 0, maxBytes: 10, maxWaitMs: 30_000, signal: maker.signal },
      store.call,
    );
    const others = Array.from({ length: 5 }, () =>
      waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 30_000 }, store.call),
    );
    maker.abort(new Error("maker left"));
    await expect(rm).rejects.toThrow("maker left");
    await vi.advanceTimersByTimeAsync(0);
    expect(store.calls).toHaveLength(2);
    expect(store.calls[0]?.aborted()).toBe(true);
    expect(store.calls[1]?.aborted()).toBe(false);
    store.append(7);
    const results = await Promise.all(others);
    expect(results.map((r) => r.batches[0]?.baseOffset)).toEqual([0, 0, 0, 0, 0]);
    expect(store.calls).toHaveLength(2);
    expect(waits.callsInFlight).toBe(0);
  });

  it("a call that never answers is given up once it is overdue, and its readers read on their own", async () => {
    // Its maker's request ended without an abort (a client gone): the call is cancelled and never settles.
    const calls: { maxWaitMs: number; aborted: () => boolean }[] = [];
    const call: WaitCall = (request, signal) => {
      calls.push({ maxWaitMs: request.maxWaitMs, aborted: () => signal.aborted });
      if (calls.length === 1) return new Promise<ReadResult>(() => undefined);
      return Promise.resolve({ batches: [batch(0, 1)], logStartOffset: 0, highWatermark: 1 });
    };
    const waits = new WaitCoalescer();
    const first = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 10_000 }, call);
    const second = waits.read(KEY, { offset: 0, maxBytes: 10, maxWaitMs: 20_000 }, call);
    await vi.advanceTimersByTimeAsync(10_000 + CALL_GRACE_MS - 1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const [a, b] = await Promise.all([first, second]);
    expect(a.batches).toHaveLength(1);
    expect(b.batches).toHaveLength(1);
    expect(calls[0]?.aborted()).toBe(true);
    // The first read's time was up: its own read does not wait.
    expect(calls.slice(1).map((c) => c.maxWaitMs)).toContain(0);
    expect(waits.callsInFlight).toBe(0);
  });

  it("a failed call fails its maker; the reads that followed it read again, each on its own", async () => {
    // The error may be the maker's request's own (in a Worker: its aborted or cancelled I/O), not the store's answer.
    const waits = new WaitCoalescer();
    let calls = 0;
    let fail!: (error: unknown) => void;
    const call: WaitCall = () => {
      calls++;
      if (calls === 1)
        return new Promise((_, reject) => {
          fail = reject;
        });
      return Promise.resolve({ batches: [batch(0, 1)], logStartOffset: 0, highWatermark: 1 });
    };
    const [maker, ...followers] = [1, 2, 3].map(() =>
      waits.read(KEY, { offset: 0, maxBytes: 1, maxWaitMs: 1_000 }, call),
    );
    fail(new Error("the maker's own failure"));
    await expect(maker).rejects.toThrow("the maker's own failure");
    for (const r of followers) expect((await r).batches).toHaveLength(1);
    expect(waits.callsStarted).toBe(3);
    expect(waits.callsInFlight).toBe(0);
  });

  it("a follower never settles nor aborts anything of the maker's call: its patience only drops the call", async () => {
    // In workerd either would run the maker's request's code (its stub, its signal) on the follower's behalf.
    const waits = new WaitCoalescer();
    let signalOfCall: AbortSignal | undefined;
    const never = new Promise<ReadResult>(() => undefined);
    const thenSpy = vi.spyOn(never, "then");
    const call: WaitCall = (_request, signal) => {
      signalOfCall ??= signal;
      return signalOfCall === signal
        ? never
        : Promise.resolve({ batches: [batch(0, 1)], logStartOffset: 0, highWatermark: 1 });
    };
    const maker = new AbortController();
    void waits
      .read(KEY, { offset: 0, maxBytes: 1, maxWaitMs: 1_000, signal: maker.signal }, call)
      .catch(() => {});
    const follower = waits.read(KEY, { offset: 0, maxBytes: 1, maxWaitMs: 2_000 }, call);
    // The maker's call is awaited once, by the maker alone; the follower's patience runs out without touching it.
    await vi.advanceTimersByTimeAsync(1_000 + CALL_GRACE_MS);
    expect((await follower).batches).toHaveLength(1);
    expect(thenSpy).toHaveBeenCalledTimes(1);
    // Nothing of the follower's aborted the maker's call: only the maker's own patience (at the same moment) did.
    expect(signalOfCall?.reason).not.toBeInstanceOf(Error);
  });

  it("a call whose maker vanished, followed by nobody, leaves the table once overdue", async () => {
    // A Worker request cancelled without an abort stops where it is: its call never settles, nor does its read.
    const waits = new WaitCoalescer();
    const call: WaitCall = () => new Promise<ReadResult>(() => undefined);
    void waits.read(KEY, { offset: 0, maxBytes: 1, maxWaitMs: 1_000 }, call);
    expect(waits.callsInFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000 + CALL_GRACE_MS + 1);
    // Here the maker's own patience still runs and makes one more call (its time is up: no wait), which never settles
    // either; in a Worker it would not run at all. The next read's sweep drops what is overdue either way.
    void waits.read("another", { offset: 0, maxBytes: 1, maxWaitMs: 1_000 }, call);
    expect(waits.callsInFlight).toBe(1);
  });
});
