// The web console is a static bundle served by the Worker (wrangler.toml `[assets]`), so `npm start` serves it
// from the same origin as the API: no CORS, and the offline log's upstream is simply `location.origin`. Two pages:
// the console (index.html) and the offline recorder demo (offline.html, served at /offline).
import { defineConfig } from "vite";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineConfig({
  plugins: [sourceCondition()],
  root: import.meta.dirname,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2023",
    rollupOptions: {
      input: {
        console: `${import.meta.dirname}/index.html`,
        offline: `${import.meta.dirname}/offline.html`,
      },
    },
  },
});
