/**
 * @module
 * The console's button: always a real `<button>` (keyboard and screen readers get it for free), `type="button"`
 * unless said otherwise so it never submits a form by accident, and a `busy` state that disables it while its
 * action runs, so a double click cannot send a request twice.
 */
import type { ButtonHTMLAttributes, ComponentChildren } from "preact";

export type ButtonVariant = "primary" | "secondary" | "danger" | "ghost";

export interface ButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, "class"> {
  readonly variant?: ButtonVariant;
  /** The action is running: disabled, with `aria-busy`. */
  readonly busy?: boolean;
  /** Smaller padding, for buttons inside table rows. */
  readonly small?: boolean;
  readonly class?: string;
  readonly children?: ComponentChildren;
}

export function Button({
  variant = "secondary",
  busy = false,
  small = false,
  type = "button",
  disabled,
  class: extra,
  children,
  ...rest
}: ButtonProps) {
  const classes = ["btn", `btn-${variant}`, small ? "btn-small" : "", extra ?? ""].filter(Boolean).join(" ");
  return (
    <button
      {...rest}
      type={type}
      class={classes}
      disabled={busy || disabled === true}
      aria-busy={busy ? "true" : undefined}
    >
      {children}
    </button>
  );
}
