/**
 * @module
 * The top of every screen: breadcrumbs, the `<h1>` (focusable, so the shell can move focus to it after a route
 * change and a screen reader announces the new screen) and the screen's actions on the right.
 */
import type { ComponentChildren } from "preact";

export interface Crumb {
  readonly label: string;
  readonly href: string;
}

export function ScreenHeader({
  title,
  crumbs = [],
  actions,
  children,
}: {
  title: ComponentChildren;
  crumbs?: readonly Crumb[];
  /** Buttons shown beside the title. */
  actions?: ComponentChildren;
  /** A line under the title. */
  children?: ComponentChildren;
}) {
  return (
    <header class="screen-head">
      {crumbs.length === 0 ? null : (
        <nav aria-label="Breadcrumb" class="crumbs">
          <ol>
            {crumbs.map((crumb) => (
              <li key={crumb.href}>
                <a href={crumb.href}>{crumb.label}</a>
              </li>
            ))}
          </ol>
        </nav>
      )}
      <div class="screen-title">
        <h1 tabIndex={-1}>{title}</h1>
        {actions === undefined ? null : <div class="screen-actions">{actions}</div>}
      </div>
      {children === undefined ? null : <div class="screen-sub">{children}</div>}
    </header>
  );
}
