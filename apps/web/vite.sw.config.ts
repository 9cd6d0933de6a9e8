// The console's service worker (src/sw.ts) as one classic script at dist/sw.js: built after the page (vite.config.ts
// empties dist), with a fixed name and at the root, since a service worker's scope is its script's folder.
import { defineConfig } from "vite";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineConfig({
  plugins: [sourceCondition()],
  root: import.meta.dirname,
  build: {
    outDir: "dist",
    emptyOutDir: false,
    target: "es2023",
    copyPublicDir: false,
    lib: {
      entry: "src/sw.ts",
      formats: ["iife"],
      name: "edgelogServiceWorker",
      fileName: () => "sw.js",
    },
  },
});
