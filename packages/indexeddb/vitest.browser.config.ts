// The same store and offline log in real headless Chromium (Debian's `chromium`, driven by Playwright with the
// system executable: nothing is downloaded). CHROMIUM_PATH overrides where it is.
import { playwright } from "@vitest/browser-playwright";
import { defineProject } from "vitest/config";
import { CHROMIUM_LAUNCH_OPTIONS } from "../../test/support/chromium.ts";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: {
    name: "indexeddb-browser",
    include: ["test-browser/**/*.test.ts"],
    browser: {
      enabled: true,
      headless: true,
      instances: [{ browser: "chromium" }],
      provider: playwright({
        launchOptions: CHROMIUM_LAUNCH_OPTIONS,
      }),
    },
  },
});
