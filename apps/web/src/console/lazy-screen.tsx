/**
 * @module
 * Screens loaded on first visit: the heavy ones (a chart library, a record viewer) are separate chunks, so the
 * first screen people see does not wait for code they may never use. While a chunk loads the screen shows the
 * kit's loading state; a chunk that fails to load (a deploy replaced it, the network dropped) says so with a
 * retry. Once the browser is idle after the first screen, every lazy chunk is fetched ahead, so a later visit
 * usually finds it loaded. When the chunk arrives while focus sits on `<main>` (where the shell put it after the
 * route change), focus moves on to the screen's heading as it does for any other screen.
 */
import { type ComponentType, h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorBanner } from "./ui/notice.tsx";
import { Loading } from "./ui/states.tsx";

const preloads: (() => void)[] = [];

export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  const start = (): Promise<ComponentType<P>> => {
    loading ??= load().then(
      (component) => {
        loaded = component;
        return component;
      },
      (error: unknown) => {
        loading = undefined; // a retry loads again
        throw error;
      },
    );
    return loading;
  };
  preloads.push(() => void start().catch(() => undefined));

  return function LazyScreen(props: P) {
    const [, setReady] = useState(loaded !== undefined);
    const [error, setError] = useState<unknown>(null);
    const [attempt, setAttempt] = useState(0);
    // `attempt` is the retry.
    useEffect(() => {
      if (loaded !== undefined) return;
      let current = true;
      start().then(
        () => {
          if (!current) return;
          setReady(true);
          requestAnimationFrame(() => {
            if (document.activeElement?.id === "main")
              document.querySelector<HTMLElement>("main h1")?.focus();
          });
        },
        (failure: unknown) => current && setError(failure),
      );
      return () => {
        current = false;
      };
    }, [attempt]);
    if (loaded !== undefined) return h(loaded, props);
    if (error !== null)
      return (
        <ErrorBanner
          error={error}
          title="Could not load this screen"
          onRetry={() => {
            setError(null);
            setAttempt((n) => n + 1);
          }}
        />
      );
    return <Loading label="Loading screen…" />;
  };
}

/** Fetches every lazy screen's chunk when the browser has nothing better to do. */
export function preloadLazyScreens(): void {
  const run = () => {
    for (const preload of preloads) preload();
  };
  if ("requestIdleCallback" in window) requestIdleCallback(run, { timeout: 5_000 });
  else setTimeout(run, 2_000);
}
