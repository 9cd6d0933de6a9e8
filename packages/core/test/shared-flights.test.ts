import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SharedFlights } from "../src/store-kit/shared-flights.ts";

/** A call that answers only when told to; each call is counted. */
function gated() {
  const pending: { resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
  const call = () =>
    new Promise<string>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { call, pending };
}

describe("SharedFlights", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("identical calls in flight at once share one, and each caller gets its answer", async () => {
    const flights = new SharedFlights<string>(5_000);
    const { call, pending } = gated();
    const answers = Array.from({ length: 100 }, () => flights.run("t", call));
    expect(pending).toHaveLength(1);
    pending[0]?.resolve("meta");
    expect(new Set(await Promise.all(answers))).toEqual(new Set(["meta"]));
    // Done: the next caller begins a call of its own.
    void flights.run("t", call);
    expect(pending).toHaveLength(2);
    expect(flights.callsStarted).toBe(2);
  });

  it("a failed call fails its maker only: each joiner calls on its own", async () => {
    const flights = new SharedFlights<string>(5_000);
    const { call, pending } = gated();
    const maker = flights.run("t", call);
    const joiners = [flights.run("t", call), flights.run("t", call)];
    pending[0]?.reject(new Error("the maker's own failure"));
    await expect(maker).rejects.toThrow("the maker's own failure");
    await vi.advanceTimersByTimeAsync(0);
    expect(pending).toHaveLength(3);
    for (const p of pending.slice(1)) p.resolve("own");
    expect(await Promise.all(joiners)).toEqual(["own", "own"]);
  });

  it("a joiner waits for a silent maker only so long, and nobody joins that flight again", async () => {
    // A Worker request cancelled without an abort stops where it is: its call never settles.
    const flights = new SharedFlights<string>(5_000);
    const { call, pending } = gated();
    void flights.run("t", call);
    const joiner = flights.run("t", call);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(pending).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pending).toHaveLength(2);
    pending[1]?.resolve("own");
    expect(await joiner).toBe("own");
    const later = flights.run("t", call);
    expect(pending).toHaveLength(3);
    pending[2]?.resolve("later");
    expect(await later).toBe("later");
  });

  it("forget: a caller after a change never joins a call begun before it", async () => {
    const flights = new SharedFlights<string>(5_000);
    const { call, pending } = gated();
    const before = flights.run("t", call);
    flights.forget("t");
    const after = flights.run("t", call);
    expect(pending).toHaveLength(2);
    pending[0]?.resolve("old");
    pending[1]?.resolve("new");
    expect([await before, await after]).toEqual(["old", "new"]);
  });
});
