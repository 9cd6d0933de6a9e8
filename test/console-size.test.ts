/**
 * The README states how much JavaScript the web console sends (gzip, at load and with every screen); this keeps
 * the statement true. It measures the build `npm test` just made (apps/web/dist) as `npm run console:size` does,
 * and fails when either figure is more than 10% off what the README says — update the README with the line
 * `npm run console:size` prints.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { kilobytes, measureConsoleJs, WEB_DIST } from "./support/console-size.ts";

const README = resolve(import.meta.dirname, "../README.md");
const STATED =
  /The console's JavaScript: \*\*([\d.]+) kB gzip at load\*\*, ([\d.]+) kB gzip with every screen/;
const TOLERANCE = 0.1;

it("sends as much JavaScript as the README says, within 10%", async () => {
  expect(existsSync(join(WEB_DIST, "index.html")), "build the console first: npm run build").toBe(true);
  const stated = STATED.exec(await readFile(README, "utf8"));
  expect(stated, "the README's console section names the console's JavaScript size").not.toBeNull();
  const [atLoad, total] = [Number(stated?.[1]) * 1000, Number(stated?.[2]) * 1000];
  const size = await measureConsoleJs();
  const measured = `${kilobytes(size.initialGzipBytes)} kB at load, ${kilobytes(size.totalGzipBytes)} kB in all`;
  expect(Math.abs(size.initialGzipBytes - atLoad) / atLoad, `measured ${measured}`).toBeLessThanOrEqual(
    TOLERANCE,
  );
  expect(Math.abs(size.totalGzipBytes - total) / total, `measured ${measured}`).toBeLessThanOrEqual(
    TOLERANCE,
  );
  // The lazy screens are really out of the first load.
  expect(size.files.some((f) => !f.initial)).toBe(true);
});
