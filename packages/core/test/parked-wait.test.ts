import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parkWait } from "../src/store-kit/parked-wait.ts";

describe("parkWait", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("settles once with the first of resolve, reject, timeout and abort, and releases its timer", async () => {
    const onSettle = vi.fn();
    const wait = parkWait({ timeoutMs: 100, timeoutValue: "timeout", onSettle });
    wait.resolve("woken");
    wait.reject(new Error("late"));
    vi.advanceTimersByTime(200);
    await expect(wait.promise).resolves.toBe("woken");
    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("resolves with the timeout value when nothing else happens", async () => {
    const onSettle = vi.fn();
    const wait = parkWait({ timeoutMs: 100, timeoutValue: false, onSettle });
    vi.advanceTimersByTime(99);
    expect(onSettle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await expect(wait.promise).resolves.toBe(false);
    expect(onSettle).toHaveBeenCalledTimes(1);
  });

  it("rejects with the signal's reason on abort and stops listening afterwards", async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const onSettle = vi.fn();
    const wait = parkWait({ timeoutMs: 100, timeoutValue: 0, signal: controller.signal, onSettle });
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(wait.promise).rejects.toBe(reason);
    expect(onSettle).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never parks for a signal that was already aborted", async () => {
    const onSettle = vi.fn();
    const wait = parkWait({ timeoutMs: 100, timeoutValue: 0, signal: AbortSignal.abort("gone"), onSettle });
    await expect(wait.promise).rejects.toBe("gone");
    expect(onSettle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("runs onSettle before the promise settles, so the owner has forgotten the wait by then", async () => {
    const owned = new Set<unknown>();
    const wait = parkWait({ timeoutMs: 100, timeoutValue: 0, onSettle: () => owned.delete(wait) });
    owned.add(wait);
    wait.resolve(1);
    expect(owned.size).toBe(0);
    await wait.promise;
  });
});
