/**
 * @module
 * Light or dark in the console: the OS setting by default, or the person's choice from the toggle, kept as
 * theme-choice.ts keeps it (one `localStorage` key; the token lives in `sessionStorage`, never there).
 */
import { effect, signal } from "@preact/signals";
import { readThemeChoice, showThemeChoice, storeThemeChoice, type ThemeChoice } from "./theme-choice.ts";

export type { ThemeChoice } from "./theme-choice.ts";

export const theme = signal<ThemeChoice>(readThemeChoice());

/** What the page shows now: the choice, or the OS's setting under `system`. */
export function shownTheme(): "light" | "dark" {
  if (theme.value !== "system") return theme.value;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** Applies `theme` to the page now and on every change; called once at start, before the first render. */
export function applyTheme(): void {
  effect(() => {
    showThemeChoice(theme.value);
    storeThemeChoice(theme.value);
  });
}

/** The toggle's step: to the opposite of what is shown (so one press always changes the page). */
export function toggleTheme(): void {
  theme.value = shownTheme() === "dark" ? "light" : "dark";
}
