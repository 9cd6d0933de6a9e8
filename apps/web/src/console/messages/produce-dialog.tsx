/**
 * @module
 * The "Produce" button and its modal `<dialog>` holding the produce form: out of the way of the list until asked
 * for, usable at phone width, closed with Escape or its button (focus returns to "Produce"). It stays open after a
 * write, so several records can be sent in a row.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ProduceForm } from "./produce-form.tsx";

export function ProduceDialog(props: { topic: string; partitions: number; onWritten: () => void }) {
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (open && element !== null && !element.open) element.showModal();
  }, [open]);
  return (
    <>
      <button type="button" id="open-produce" onClick={() => setOpen(true)}>
        Produce
      </button>
      {open && (
        <dialog
          ref={dialog}
          class="produce-dialog"
          aria-labelledby="produce-title"
          onClose={() => setOpen(false)}
        >
          <header class="dialog-head">
            <h2 id="produce-title">Produce a record to {props.topic}</h2>
            <button
              type="button"
              class="icon-button"
              aria-label="Close"
              onClick={() => dialog.current?.close()}
            >
              ✕
            </button>
          </header>
          <div class="dialog-body">
            <ProduceForm topic={props.topic} partitions={props.partitions} onWritten={props.onWritten} />
          </div>
        </dialog>
      )}
    </>
  );
}
