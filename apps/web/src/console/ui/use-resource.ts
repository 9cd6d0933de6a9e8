/**
 * @module
 * Loading data into a screen: `useResource(load, deps)` runs `load` when `deps` change, keeps the last answer while
 * a reload runs (no flash of "loading" on refresh), drops answers that arrive after a newer request was made (a
 * fast typist's filter), and aborts the request in flight when the screen goes away.
 */
import type { Inputs } from "preact/hooks";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Resource<T> {
  /** The last successful answer (kept while reloading), or `undefined` before the first. */
  readonly data: T | undefined;
  /** The last load's failure, or `null`. */
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads again now (after an action changed what is shown). */
  readonly reload: () => void;
}

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: Inputs): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // `deps` are the caller's; `round` is a reload.
  useEffect(() => {
    const id = ++latest.current;
    const abort = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    loadRef.current(abort.signal).then(
      (data) => {
        if (id === latest.current) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (id === latest.current && !abort.signal.aborted)
          setState((previous) => ({ data: previous.data, error, loading: false }));
      },
    );
    return () => abort.abort();
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}
