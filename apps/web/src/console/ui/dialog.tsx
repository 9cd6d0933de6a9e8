/**
 * @module
 * Dialogs on the native `<dialog>` opened with `showModal()`: the browser traps focus inside, makes the page
 * behind inert, closes on Escape and gives focus back to what opened it — the parts hand-written modals get
 * wrong. `ConfirmDialog` asks before a destructive action and, when `typed` is given, wants that text typed first
 * (GitHub's and Cloudflare's pattern for deleting something that cannot come back).
 */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { Button } from "./button.tsx";
import { ErrorBanner } from "./notice.tsx";

export interface DialogProps {
  readonly open: boolean;
  /** Escape, the close button or a finished action: the owner sets `open` to false. */
  readonly onClose: () => void;
  readonly title: string;
  readonly children?: ComponentChildren;
  /** `wide` for forms with several columns. */
  readonly wide?: boolean;
}

export function Dialog({ open, onClose, title, children, wide = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={wide ? "dialog dialog-wide" : "dialog"}
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: the owner decides (it may be busy); the dialog closes when `open` goes false.
        event.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <header class="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" class="dialog-close" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          <div class="dialog-body">{children}</div>
        </>
      ) : null}
    </dialog>
  );
}

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly title: string;
  /** What will happen, in words. */
  readonly children?: ComponentChildren;
  readonly confirmLabel: string;
  /** Red confirm button (deleting, truncating). */
  readonly danger?: boolean;
  /** When set, the confirm button stays disabled until exactly this is typed. */
  readonly typed?: string;
  /** `false` keeps the confirm button disabled (a field in `children` holds something invalid). Default `true`. */
  readonly canConfirm?: boolean;
  /** The action; a rejection is shown in the dialog (with the server's code), success closes it. */
  readonly onConfirm: () => Promise<void>;
}

export function ConfirmDialog({
  open,
  onClose,
  title,
  children,
  confirmLabel,
  danger = false,
  typed,
  canConfirm = true,
  onConfirm,
}: ConfirmDialogProps) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputId = useId();
  useEffect(() => {
    if (open) {
      setText("");
      setError(null);
    }
  }, [open]);
  const ready = canConfirm && (typed === undefined || text === typed);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={() => !busy && onClose()} title={title}>
      <form class="form" onSubmit={submit}>
        {children}
        {typed === undefined ? null : (
          <div class="field">
            <label for={inputId}>
              Type <code class="typed-word">{typed}</code> to confirm
            </label>
            <input
              id={inputId}
              name="confirm"
              autocomplete="off"
              spellcheck={false}
              value={text}
              onInput={(event) => setText(event.currentTarget.value)}
            />
          </div>
        )}
        <ErrorBanner error={error} />
        <div class="form-actions">
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant={danger ? "danger" : "primary"} busy={busy} disabled={!ready}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
