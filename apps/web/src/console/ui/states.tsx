/**
 * @module
 * What a screen shows while it has nothing else to: loading (announced to screen readers, drawn only after a
 * moment so fast answers do not flash) and empty (says why, and what to do next). No screen is ever blank.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/** Spinner and label, shown after `delayMs` (default 150 ms) so an instant answer does not flicker. */
export function Loading({ label = "Loading…", delayMs = 150 }: { label?: string; delayMs?: number }) {
  const [shown, setShown] = useState(delayMs <= 0);
  useEffect(() => {
    if (shown) return undefined;
    const timer = setTimeout(() => setShown(true), delayMs);
    return () => clearTimeout(timer);
  }, [delayMs, shown]);
  return (
    <div class="state loading" role="status" aria-live="polite">
      {shown ? (
        <>
          <span class="spinner" aria-hidden="true" />
          {label}
        </>
      ) : null}
    </div>
  );
}

/** A titled empty state with an optional action (a button or link). */
export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <p class="state-title">{title}</p>
      {children === undefined ? null : <div class="state-body">{children}</div>}
    </div>
  );
}
