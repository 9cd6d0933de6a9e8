/**
 * `node scripts/console-size.ts` (after `npm run build`): how much JavaScript the web console sends, gzip — at
 * load and with every screen — and per chunk. The README's figures come from here; test/console-size.test.ts
 * fails when they drift.
 */
import { kilobytes, measureConsoleJs } from "../test/support/console-size.ts";

const size = await measureConsoleJs();
for (const { file, gzipBytes, initial } of size.files)
  console.log(`${kilobytes(gzipBytes).padStart(7)} kB  ${initial ? "at load " : "lazy    "} ${file}`);
console.log(
  `The console's JavaScript: ${kilobytes(size.initialGzipBytes)} kB gzip at load, ` +
    `${kilobytes(size.totalGzipBytes)} kB gzip with every screen.`,
);
