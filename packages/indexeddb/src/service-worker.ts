/**
 * @module
 * Background Sync for the offline log: a service worker drains the outbox from a `sync` event, so records reach
 * the upstream even after every tab closed. Browsers without Background Sync (Firefox, Safari) still deliver:
 * an open log syncs on `online`, on page load (open) and on an interval while open, so records wait at most until
 * the next visit.
 */
import { type OfflineLogOptions, openOfflineLog } from "./offline-log.ts";

/** The default Background Sync tag. */
export const DEFAULT_SYNC_TAG = "edgelog-outbox";

/** The parts of a `SyncEvent` used (typed here: DOM's lib has no Background Sync types). */
export interface BackgroundSyncEvent {
  readonly tag: string;
  waitUntil(promise: Promise<unknown>): void;
}

/** The parts of a `ServiceWorkerRegistration` used. */
export interface SyncRegistration {
  readonly sync?: { register(tag: string): Promise<void> };
}

/**
 * Asks the browser for a `sync` event when connectivity returns; `false` where Background Sync is unavailable
 * (the page then relies on `online` events, page loads and the interval).
 * @example
 * await registerOfflineLogSync(await navigator.serviceWorker.ready);
 */
export async function registerOfflineLogSync(
  registration: SyncRegistration | ServiceWorkerRegistration,
  tag: string = DEFAULT_SYNC_TAG,
): Promise<boolean> {
  // DOM's lib types a registration without `sync`: read it through the part used.
  const { sync } = registration as SyncRegistration;
  if (sync === undefined) return false;
  try {
    await sync.register(tag);
    return true;
  } catch {
    // Permission denied or not allowed in this context: the page-side triggers remain.
    return false;
  }
}

/**
 * Drains the outbox from a service worker's `sync` event. A rejection makes the browser retry the event later.
 * If a tab holds the sync lock, this log is not the syncer; its flush then waits for that tab's progress.
 * @example
 * self.addEventListener("sync", (event) => handleSyncEvent(event, { name: "my-app", upstream: { url } }));
 */
export function handleSyncEvent(
  event: BackgroundSyncEvent,
  options: OfflineLogOptions & { readonly tag?: string },
): void {
  if (event.tag !== (options.tag ?? DEFAULT_SYNC_TAG)) return;
  event.waitUntil(
    (async () => {
      const log = await openOfflineLog({ ...options, syncIntervalMs: 0 });
      try {
        await log.flush();
      } finally {
        await log.close();
      }
    })(),
  );
}
