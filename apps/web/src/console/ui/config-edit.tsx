/**
 * @module
 * The pieces a configuration dialog shares (a topic's configs, a share group's): the per-setting "Reset" that
 * returns a setting to its default, and the footer with the server's refusal, Cancel and "Save N changes".
 */
import type { ComponentChildren } from "preact";
import { Button } from "./button.tsx";
import { ErrorBanner } from "./notice.tsx";

/** Empties `name`'s field, which the dialog sends as `null`: back to the default. */
export function ResetToDefault({ name, onReset }: { name: string; onReset: () => void }) {
  return (
    <Button small variant="ghost" onClick={onReset} aria-label={`Reset ${name} to its default`}>
      Reset
    </Button>
  );
}

/** The server's refusal (with its code), then Cancel and Save, which counts the changes it will send. */
export function ConfigEditFooter({
  error,
  busy,
  changes,
  onClose,
}: {
  error: unknown;
  busy: boolean;
  changes: number;
  onClose: () => void;
}): ComponentChildren {
  return (
    <>
      <ErrorBanner error={error} title="The server refused the change" />
      <div class="form-actions">
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy} disabled={changes === 0}>
          {changes === 0 ? "Save" : `Save ${changes} change${changes === 1 ? "" : "s"}`}
        </Button>
      </div>
    </>
  );
}
