/**
 * @module
 * What the page and its service worker must agree on to share one offline log: the IndexedDB name (which also
 * names the sync lock and the BroadcastChannel) and where the service worker script is served.
 */

/** The offline log's database name, the same in the page and in the service worker. */
export const LOG_NAME = "edgelog-web";

/** Built by `vite.sw.config.ts` to `dist/sw.js`, served by the Worker at the root so its scope is the whole site. */
export const SERVICE_WORKER_URL = "/sw.js";
