/**
 * @module
 * A page for end-to-end tests that drive the package's API itself rather than the web console: the test bundles
 * this file (vite, one IIFE) and serves it on the local Worker's origin, and it puts the package on
 * `globalThis.edgelog` for `page.evaluate`.
 */
import { HttpLogStore } from "@edgelog/client";
import { decodeBatch, decodeText } from "@edgelog/core";
import * as indexeddb from "../src/index.ts";

(globalThis as unknown as { edgelog: unknown }).edgelog = {
  ...indexeddb,
  HttpLogStore,
  decodeBatch,
  decodeText,
};
