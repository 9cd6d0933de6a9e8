/**
 * @module
 * The pieces a configuration dialog shares (a topic's configs, a share group's): the edit state (`useConfigEdit`:
 * the texts typed, what they change, sending only those), the per-setting "Reset" that returns a setting to its
 * default, and the footer with the server's refusal, Cancel and "Save N changes".
 */
import type { ConfigEntryView } from "@edgelog/core";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { configChanges, initialText } from "../topics/config-form.ts";
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

export interface ConfigEdit {
  /** What the dialog would send: each changed setting, `null` for one emptied (its default). */
  readonly changes: ReadonlyMap<string, string | null>;
  readonly busy: boolean;
  readonly error: unknown;
  /** The text shown for `entry`: typed, else its value when set on the resource, else empty (the default). */
  text(entry: ConfigEntryView): string;
  edit(name: string, value: string): void;
  submit(event: Event): Promise<void>;
}

/**
 * The state of a config dialog over `entries`: texts start afresh each time it opens; `submit` sends only the
 * changes through `send`, then reports how many and closes, or keeps the server's refusal to show.
 */
export function useConfigEdit(
  entries: readonly ConfigEntryView[],
  open: boolean,
  send: (changes: Record<string, string | null>) => Promise<unknown>,
  onDone: (changed: number) => void,
  onClose: () => void,
): ConfigEdit {
  const [texts, setTexts] = useState<ReadonlyMap<string, string>>(new Map());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!open) return;
    setTexts(new Map());
    setError(null);
  }, [open]);
  const changes = configChanges(entries, texts);
  return {
    changes,
    busy,
    error,
    text: (entry) => texts.get(entry.name) ?? initialText(entry),
    edit: (name, value) => {
      setTexts(new Map(texts).set(name, value));
      setError(null);
    },
    submit: async (event) => {
      event.preventDefault();
      if (busy || changes.size === 0) return;
      setBusy(true);
      setError(null);
      try {
        await send(Object.fromEntries(changes));
        onDone(changes.size);
        onClose();
      } catch (failure) {
        setError(failure);
      } finally {
        setBusy(false);
      }
    },
  };
}
