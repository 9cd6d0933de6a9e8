/**
 * @module
 * Light or dark: the OS setting by default, or the person's choice from the toggle, kept in `localStorage` under
 * one key holding only `light` or `dark` (no user data; the token lives in `sessionStorage`, never here). The
 * choice is the `data-theme` attribute of `<html>`, which styles.css reads; without one, `prefers-color-scheme`
 * decides.
 */
import { effect, signal } from "@preact/signals";

export type ThemeChoice = "system" | "light" | "dark";

const STORAGE_KEY = "edgelog-console-theme";

function readChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

export const theme = signal<ThemeChoice>(readChoice());

/** What the page shows now: the choice, or the OS's setting under `system`. */
export function shownTheme(): "light" | "dark" {
  if (theme.value !== "system") return theme.value;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** Applies `theme` to `<html>` now and on every change; called once at start, before the first render. */
export function applyTheme(): void {
  effect(() => {
    const choice = theme.value;
    if (choice === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = choice;
    try {
      if (choice === "system") localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // Storage disabled: the choice lasts for this page only.
    }
  });
}

/** The toggle's step: to the opposite of what is shown (so one press always changes the page). */
export function toggleTheme(): void {
  theme.value = shownTheme() === "dark" ? "light" : "dark";
}
