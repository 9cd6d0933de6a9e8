/**
 * @module
 * A screen's view of something that changes on the server: load it now, then again every `intervalMs` while the
 * screen is shown. A failure keeps the last good value on screen, says what failed, and waits twice as long
 * before each next try (up to a minute), so a server in trouble is not hammered by every open console. A hidden
 * tab does not poll; it loads as soon as it is shown again.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** The longest wait between tries after failures. */
export const MAX_BACKOFF_MS = 60_000;

export interface Polled<T> {
  /** The last value loaded, kept through later failures. */
  readonly data: T | undefined;
  /** The last failure, cleared by the next success. */
  readonly error: unknown;
  /** True until the first load ends (well or not). */
  readonly loading: boolean;
  /** When `data` was loaded (ms since the epoch). */
  readonly loadedAt: number | null;
  /** Loads now (after an action changed the server's state), restarting the interval. */
  refresh(): void;
}

/**
 * `deps` name what `load` depends on: a change loads at once. `keep` keeps the last value on screen meanwhile
 * (a filter being typed), where another object (a different group) must not show the previous one's data.
 * @example
 * const group = usePoll(() => loadGroup(id), 5_000, [id]);
 */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  deps: readonly unknown[],
  options: { readonly keep?: boolean } = {},
): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, "refresh">>({
    data: undefined,
    error: undefined,
    loading: true,
    loadedAt: null,
  });
  const kick = useRef<() => void>(() => undefined);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    // A refresh asked for while a load is in flight: its answer may predate the change, so load once more.
    let again = false;
    let delayMs = intervalMs;
    if (options.keep !== true) setState({ data: undefined, error: undefined, loading: true, loadedAt: null });

    const tick = async (): Promise<void> => {
      clearTimeout(timer);
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      if (document.hidden) return; // `visibilitychange` loads again when shown
      running = true;
      try {
        const data = await latest.current();
        if (stopped) return;
        delayMs = intervalMs;
        setState({ data, error: undefined, loading: false, loadedAt: Date.now() });
      } catch (error) {
        if (stopped) return;
        delayMs = Math.min(MAX_BACKOFF_MS, Math.max(intervalMs, delayMs) * 2);
        setState((previous) => ({ ...previous, error, loading: false }));
      } finally {
        running = false;
      }
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else {
        timer = setTimeout(tick, delayMs);
      }
    };
    const onVisible = (): void => {
      if (!document.hidden) void tick();
    };
    kick.current = () => void tick();
    document.addEventListener("visibilitychange", onVisible);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
    // `deps` name what the load depends on.
  }, [intervalMs, ...deps]);

  const refresh = useCallback(() => kick.current(), []);
  return { ...state, refresh };
}
