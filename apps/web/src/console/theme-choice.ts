/**
 * @module
 * The stored light/dark choice and how it reaches the page, without any framework, so the offline demo page
 * shares it with the console at no cost: `localStorage` holds one key, `light` or `dark` (no user data), and the
 * choice is `<html data-theme>`, which the stylesheet reads; without one, `prefers-color-scheme` decides.
 */

export type ThemeChoice = "system" | "light" | "dark";

const STORAGE_KEY = "edgelog-console-theme";

export function readThemeChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

/** Shows `choice` on the page. */
export function showThemeChoice(choice: ThemeChoice): void {
  if (choice === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

/** Keeps `choice` for later visits (storage that throws: for this page only). */
export function storeThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage disabled.
  }
}
