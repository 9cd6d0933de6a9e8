/**
 * @module
 * The web console's service worker: it drains the offline log when the browser fires a Background Sync `sync`
 * event, so records recorded offline reach the upstream even after every tab of the console was closed. It does
 * not intercept fetches. Built by `vite.sw.config.ts` into one classic script, `dist/sw.js` (module service
 * workers are not in every browser yet).
 *
 * Where a tab is open it holds the sync lock (Web Locks) and syncs itself; the worker's log then is not the
 * syncer and `flush()` waits, bounded, for that tab's progress. Browsers without Background Sync never fire
 * `sync`: there the console delivers whenever a tab of it is open (at load, on `online`, every 30 s).
 */
import { type BackgroundSyncEvent, handleSyncEvent } from "@edgelog/indexeddb";
import { LOG_NAME } from "./log-config.ts";

/** The parts of `ServiceWorkerGlobalScope` used (this package compiles with DOM types, not WebWorker's). */
interface ServiceWorkerScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "sync", listener: (event: BackgroundSyncEvent) => void): void;
}
interface ExtendableEvent {
  waitUntil(promise: Promise<unknown>): void;
}

const scope = globalThis as unknown as ServiceWorkerScope;

// Take over at once: the first visit's records can then be drained by this worker without a second visit.
scope.addEventListener("install", (event) => event.waitUntil(scope.skipWaiting()));
scope.addEventListener("activate", (event) => event.waitUntil(scope.clients.claim()));
scope.addEventListener("sync", (event) => {
  // Said in the worker's console, for DevTools and the end-to-end test: which event ran and how it ended.
  console.info(`edgelog: sync event "${event.tag}"`);
  handleSyncEvent(
    {
      tag: event.tag,
      waitUntil: (drained) =>
        event.waitUntil(
          drained.then(
            () => console.info(`edgelog: sync event "${event.tag}" drained the outbox`),
            (error: unknown) => {
              console.warn(`edgelog: sync event "${event.tag}" failed, the browser retries later:`, error);
              throw error;
            },
          ),
        ),
    },
    { name: LOG_NAME, upstream: { url: scope.location.origin } },
  );
});
