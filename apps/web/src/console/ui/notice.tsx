/**
 * @module
 * How the console reports: `ErrorBanner` for a failure that belongs to a place on the screen (a form, a table),
 * with the server's code and message; `toast()` for the outcome of an action ("Topic created"), shown by the one
 * `Toasts` region the shell renders. Errors are `role="alert"` (read out at once), confirmations a polite status.
 */
import { signal } from "@preact/signals";
import { describeError } from "./errors.ts";

/** The server's code and message of `error`, with an optional retry; renders nothing for `null`. */
export function ErrorBanner({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  /** What failed, in words ("Could not load topics"). */
  title?: string;
  onRetry?: () => void;
}) {
  if (error === null || error === undefined) return null;
  const { code, message } = describeError(error);
  return (
    <div class="notice notice-error" role="alert">
      <div>
        {title === undefined ? null : <strong class="notice-title">{title}</strong>}
        <code class="error-code">{code}</code> <span class="error-message">{message}</span>
      </div>
      {onRetry === undefined ? null : (
        <button type="button" class="btn btn-secondary btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export type ToastKind = "success" | "error" | "info";

interface Toast {
  readonly id: number;
  readonly kind: ToastKind;
  readonly text: string;
}

/** Shown at most this many at once (the oldest go first): a burst of failures cannot fill the screen. */
const MAX_TOASTS = 4;
const TOAST_MS = 6_000;

const toasts = signal<readonly Toast[]>([]);
let nextId = 1;

function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/** Says `text` for a few seconds; an `error` (an `EdgeLogError`, say) is shown with its code. */
export function toast(text: string, kind: ToastKind = "success"): void {
  const id = nextId++;
  toasts.value = [...toasts.value, { id, kind, text }].slice(-MAX_TOASTS);
  setTimeout(() => dismiss(id), TOAST_MS);
}

/** `toast` for a failure: "Could not delete topic: TOPIC_AUTHORIZATION_FAILED …". */
export function toastError(what: string, error: unknown): void {
  const { code, message } = describeError(error);
  toast(`${what}: ${code} ${message}`, "error");
}

/** The toasts' live region; rendered once, by the shell. */
export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          <span>{t.text}</span>
          <button type="button" class="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
