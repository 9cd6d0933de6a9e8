// The web console is a static bundle served by the Worker (wrangler.toml `[assets]`), so `npm start` serves it
// from the same origin as the API: no CORS, and the offline log's upstream is simply `location.origin`.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: "dist", emptyOutDir: true, target: "es2023" },
});
