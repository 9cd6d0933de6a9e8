/**
 * @module
 * A modal dialog on the native `<dialog>`: `showModal()` gives focus to the dialog's first control, keeps Tab
 * inside it, makes the page behind inert and closes on Escape — everything a keyboard user needs, without a
 * hand-written focus trap. Closing it any way (Escape, a Cancel button, the parent unmounting it) calls
 * `onClose` once.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

export function Modal({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closed = useRef(false);
  const close = (): void => {
    if (closed.current) return;
    closed.current = true;
    onClose();
  };

  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
    return () => {
      closed.current = true;
      element?.close();
    };
  }, []);

  return (
    <dialog ref={dialog} class={wide ? "modal wide" : "modal"} aria-labelledby={titleId} onClose={close}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
