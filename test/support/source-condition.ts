/**
 * @module
 * How the monorepo runs its packages from source. Every public package's `exports` lists a private condition,
 * `@edgelog/source`, before `types`/`default`: tools inside the repo ask for it and get `src/*.ts` (no build step
 * between an edit and a test run), while users of the published packages never set it and get `dist/*.js`.
 * TypeScript asks for it through `customConditions` (tsconfig.json), Node through `--conditions` (package.json
 * scripts); vite and vitest through `sourceCondition()` (source-condition-plugin.ts), and `wrangler` through
 * {@link WRANGLER_SOURCE_ENV}. No imports here: `npm start` loads this module.
 */
export const SOURCE_CONDITION = "@edgelog/source";

/**
 * Environment for a `wrangler` process so its bundler (esbuild) resolves workspace packages from source.
 * The other three are wrangler's default conditions, which setting the variable replaces.
 */
export const WRANGLER_SOURCE_ENV: Readonly<Record<string, string>> = {
  WRANGLER_BUILD_CONDITIONS: [SOURCE_CONDITION, "workerd", "worker", "browser"].join(","),
};
