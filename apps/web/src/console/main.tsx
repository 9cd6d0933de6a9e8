/**
 * @module
 * The console's entry: applies the theme before anything is drawn (no flash of the wrong one), asks the server's
 * auth mode and, with a usable token or none needed, who the caller is — so the first screen already shows only
 * what the token allows — then renders the app into `#app`. `data-ready` on `<body>` tells people and tests alike
 * that the first screen is drawn. A later sign-in or sign-out asks again.
 */
import { effect } from "@preact/signals";
import { render } from "preact";
import { App } from "./app.tsx";
import { preloadLazyScreens } from "./lazy-screen.tsx";
import { identity, loadIdentity } from "./rights.ts";
import { authMode, loadAuthMode, needsToken, token } from "./session.ts";
import { applyTheme } from "./theme.ts";
import "./styles.css";

applyTheme();
const root = document.getElementById("app");
if (root === null) throw new Error("missing #app");
await loadAuthMode();
if (authMode.value !== "unconfigured" && !needsToken()) await loadIdentity();

// Signed out (or in with another token, which signIn checked and set): the identity follows the token.
let knownToken = token.value;
effect(() => {
  const current = token.value;
  if (current === knownToken) return;
  knownToken = current;
  if (current === null) identity.value = null;
});

render(<App />, root);
document.body.dataset.ready = "true";
preloadLazyScreens();
