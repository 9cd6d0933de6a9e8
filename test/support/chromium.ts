/**
 * How every browser test and benchmark launches Chromium: Debian's system browser (test tools must not download
 * their own), with the flags that keep it off this machine's closed network and working as root.
 */
export const CHROMIUM_LAUNCH_OPTIONS: { executablePath: string; args: string[] } = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};
