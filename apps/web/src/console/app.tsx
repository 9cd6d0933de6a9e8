/**
 * @module
 * The console's frame: a header (product, auth warning), the section navigation and the current screen. Screens
 * come from the route table (screens.tsx); the offline recorder demo is its own page (`/offline`), linked here.
 */

import { route } from "./router.ts";
import { SECTIONS, screenFor, sectionOf } from "./screens.tsx";
import { authMode } from "./session.ts";

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
  return null;
}

export function App() {
  const current = sectionOf(route.value);
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/topics">
          edgelog
        </a>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.id}>
                <a href={`#/${section.id}`} aria-current={section.id === current ? "page" : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
            <li>
              <a href="/offline">Offline demo</a>
            </li>
          </ul>
        </nav>
      </header>
      <AuthBanner />
      <main id="main">{screenFor(route.value)}</main>
    </div>
  );
}
