// Share groups on IndexedDbLogStore in real headless Chromium: the shared conformance suite on the browser's own
// IndexedDB (a reopen is a new instance on the same database).
import { runShareGroupConformance } from "@edgelog/core/testing";
import { IndexedDbLogStore } from "../src/index.ts";

const uniqueName = (): string => `edgelog-share-${crypto.randomUUID()}`;

runShareGroupConformance("IndexedDbLogStore (Chromium)", {
  createStore: () => new IndexedDbLogStore({ name: uniqueName() }),
  destroyStore: async (store) => {
    await store.close();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase((store as IndexedDbLogStore).name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
  },
  reopenStore: async (store) => {
    await store.close();
    return new IndexedDbLogStore({ name: (store as IndexedDbLogStore).name });
  },
});
