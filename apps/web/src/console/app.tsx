/**
 * @module
 * The console's frame: a skip link, the top bar (menu button on a phone, product, identity, theme toggle), the
 * auth banner, the section navigation and the current screen — or the sign-in form while the server wants a token
 * the tab does not have. Screens come from the route table (screens.tsx); the offline recorder demo is its own
 * page (`/offline`), linked here. After a route change focus moves to the new screen's heading, so keyboard and
 * screen-reader users land on what changed.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useErrorBoundary, useRef, useState } from "preact/hooks";
import { TokenForm } from "./access/token-form.tsx";
import { identity } from "./rights.ts";
import { route } from "./router.ts";
import { SECTIONS, screenFor, sectionOf } from "./screens.tsx";
import { authMode, needsToken } from "./session.ts";
import { shownTheme, toggleTheme } from "./theme.ts";
import { ErrorBanner, Toasts } from "./ui/notice.tsx";
import { ScreenHeader } from "./ui/screen-header.tsx";

function AuthBanner() {
  if (authMode.value === "none")
    return (
      <p class="banner warning" role="alert">
        No authentication (EDGELOG_AUTH=none): anyone who can reach this Worker can read, write and delete
        every topic. For local use only.
      </p>
    );
  if (authMode.value === "unconfigured")
    return (
      <p class="banner error" role="alert">
        Authentication is not configured: the API refuses every request. Set EDGELOG_JWT_SECRET (wrangler
        secret put EDGELOG_JWT_SECRET) or EDGELOG_JWKS_URL.
      </p>
    );
  if (authMode.value === "unknown")
    return (
      <p class="banner warning" role="alert">
        The server could not be asked how it authenticates (offline?). Screens will say what fails.
      </p>
    );
  return null;
}

function ThemeToggle() {
  const dark = shownTheme() === "dark";
  return (
    <button
      type="button"
      class="icon-button theme-toggle"
      onClick={toggleTheme}
      aria-label={dark ? "Switch to the light theme" : "Switch to the dark theme"}
      title={dark ? "Light theme" : "Dark theme"}
    >
      <span aria-hidden="true">{dark ? "☀" : "☾"}</span>
    </button>
  );
}

/** Who the console acts as, linking to the Access screen. */
function IdentityChip() {
  const who = identity.value;
  let text: string;
  if (authMode.value === "none") text = "open server";
  else if (who === null) text = needsToken() ? "signed out" : "…";
  else text = who.subject ?? (who.admin ? "admin token" : "token");
  return (
    <a class="identity" href="#/access" title="Access">
      <span
        class="identity-dot"
        data-open={authMode.value === "none" ? "true" : undefined}
        aria-hidden="true"
      />
      <span class="identity-text">{text}</span>
    </a>
  );
}

/**
 * A screen that throws while drawing shows what failed, with a retry, instead of taking the whole page down to a
 * blank one; the error still reaches the browser's console (and fails the end-to-end tests).
 */
function ScreenBoundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary((failure: unknown) => console.error("edgelog console:", failure));
  if (error === undefined) return <>{children}</>;
  return (
    <section class="screen">
      <ErrorBanner error={error} title="This screen failed" onRetry={reset} />
    </section>
  );
}

function SignInGate() {
  return (
    <section class="screen narrow">
      <ScreenHeader title="Sign in" />
      <p>
        This server requires a token. Paste a JWT whose scope holds the rights you need: the console shows
        what it allows (an <code>admin</code> token sees everything).
      </p>
      <TokenForm />
    </section>
  );
}

export function App() {
  const current = sectionOf(route.value);
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const firstRender = useRef(true);

  // A new screen: close the phone menu and move focus to its heading (not on the first load, where focus belongs
  // to the top of the page). Only the path counts: a screen keeping its filters in the query stays put.
  const path = route.value.segments.join("/");
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector<HTMLElement>("h1");
    (heading ?? mainRef.current)?.focus({ preventScroll: false });
  }, [path]);

  const gated = needsToken() && current !== "access";
  return (
    <div class="shell">
      {/* A button, not `href="#main"`: the hash is the router's. */}
      <button type="button" class="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <button
          ref={menuButton}
          type="button"
          class="icon-button menu-toggle"
          aria-expanded={menuOpen ? "true" : "false"}
          aria-controls="sections"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span aria-hidden="true">☰</span>
          <span class="visually-hidden">Menu</span>
        </button>
        <a class="brand" href="#/topics">
          <span class="brand-mark" aria-hidden="true" />
          edgelog
        </a>
        <div class="topbar-end">
          <IdentityChip />
          <ThemeToggle />
        </div>
      </header>
      <AuthBanner />
      <div class="layout">
        <nav
          id="sections"
          class="sidebar"
          data-open={menuOpen ? "true" : undefined}
          aria-label="Sections"
          onKeyDown={(event) => {
            // Escape closes the phone menu, as it closes a dialog, and hands focus back to its button.
            if (event.key === "Escape" && menuOpen) {
              setMenuOpen(false);
              menuButton.current?.focus();
            }
          }}
        >
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.id}>
                <a
                  href={`#/${section.id}`}
                  aria-current={section.id === current ? "page" : undefined}
                  onClick={() => setMenuOpen(false)}
                >
                  {section.label}
                </a>
              </li>
            ))}
            <li class="sidebar-sep">
              <a href="/offline">Offline demo</a>
            </li>
          </ul>
        </nav>
        <main id="main" ref={mainRef} tabIndex={-1}>
          {gated ? <SignInGate /> : <ScreenBoundary key={path}>{screenFor(route.value)}</ScreenBoundary>}
        </main>
      </div>
      <Toasts />
    </div>
  );
}
