/**
 * @module
 * A share group's config on its page: each of Kafka's group configs with the value in force and whether it is the
 * default, and for a caller with the group right an edit dialog (`PATCH /v1/share-groups/{g}/config`): a field
 * holds what the group set, emptying it (or "Reset") restores the default, only changed settings are sent, and the
 * server's INVALID_CONFIG is shown with nothing changed. The same form rules as a topic's (../topics/config-form.ts).
 */
import { type ConfigEntryView, DEFAULT_SHARE_GROUP_CONFIG, type ShareGroupConfig } from "@edgelog/core";
import { useState } from "preact/hooks";
import { Button } from "../ui/button.tsx";
import { ConfigEditFooter, ResetToDefault, useConfigEdit } from "../ui/config-edit.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { TextField } from "../ui/field.tsx";
import { formatDuration } from "../ui/format.ts";
import { toast } from "../ui/notice.tsx";
import { alterShareGroupConfig, type ShareGroupView } from "./share-group-api.ts";

/** Milliseconds configs, said in words too. */
const DURATIONS = new Set(["share.record.lock.duration.ms", "share.session.timeout.ms"]);

/** Each setting of the group's config, as text, with whether it is the default — in the server's order. */
export function shareConfigEntries(config: ShareGroupConfig): ConfigEntryView[] {
  // The names are the server's fixed set (Kafka's group configs), never user input.
  return Object.entries(config).map(([name, value]) => {
    const fallback = DEFAULT_SHARE_GROUP_CONFIG[name as keyof ShareGroupConfig];
    return {
      name,
      value: String(value),
      isDefault: fallback !== undefined && String(fallback) === String(value),
    };
  });
}

function readable(entry: ConfigEntryView): string | undefined {
  if (entry.name === "errors.deadletterqueue.topic.name" && entry.value === "") return "none";
  return DURATIONS.has(entry.name) ? formatDuration(Number(entry.value)) : undefined;
}

export function ShareConfigSection({
  view,
  canEdit,
  onChanged,
}: {
  view: ShareGroupView;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const entries = shareConfigEntries(view.config);
  return (
    <div class="card config-list">
      <div class="card-head">
        <h2>Configuration</h2>
        {canEdit ? <Button onClick={() => setEditing(true)}>Edit config</Button> : null}
      </div>
      <dl class="facts config-facts">
        {entries.map((entry) => {
          const words = readable(entry);
          return (
            <div key={entry.name} class="fact" data-config={entry.name}>
              <dt>
                <code>{entry.name}</code>
              </dt>
              <dd>
                {entry.value === "" ? null : <code>{entry.value}</code>}
                {words === undefined ? null : <span class="muted"> ({words})</span>}{" "}
                {entry.isDefault ? (
                  <span class="badge" data-source="default">
                    default
                  </span>
                ) : (
                  <span class="badge badge-accent" data-source="group">
                    set
                  </span>
                )}
              </dd>
            </div>
          );
        })}
      </dl>
      <EditShareConfigDialog
        open={editing}
        view={view}
        entries={entries}
        onClose={() => setEditing(false)}
        onDone={(changed) => {
          toast(`Changed ${changed} config${changed === 1 ? "" : "s"} of share group ${view.group}`);
          onChanged();
        }}
      />
    </div>
  );
}

function EditShareConfigDialog({
  open,
  view,
  entries,
  onClose,
  onDone,
}: {
  open: boolean;
  view: ShareGroupView;
  entries: readonly ConfigEntryView[];
  onClose: () => void;
  onDone: (changed: number) => void;
}) {
  const { changes, busy, error, text, edit, submit } = useConfigEdit(
    entries,
    open,
    (changed) => alterShareGroupConfig(view.group, changed),
    onDone,
    onClose,
  );
  return (
    <Dialog open={open} onClose={() => !busy && onClose()} title="Edit share group config" wide>
      <form class="form" onSubmit={submit} noValidate>
        <p class="field-hint">
          Empty means the default (shown greyed); only the settings you change are sent. Naming a dead-letter
          topic needs the right to produce to it.
        </p>
        <div class="config-fields">
          {entries.map((entry) => {
            const current = text(entry);
            return (
              <div key={entry.name} class="config-field">
                <TextField
                  label={entry.name}
                  name={entry.name}
                  value={current}
                  onValue={(value) => edit(entry.name, value)}
                  placeholder={entry.isDefault ? entry.value || "none" : undefined}
                  autocomplete="off"
                  spellcheck={false}
                  maxLength={255}
                />
                {current === "" ? null : (
                  <ResetToDefault name={entry.name} onReset={() => edit(entry.name, "")} />
                )}
              </div>
            );
          })}
        </div>
        <ConfigEditFooter error={error} busy={busy} changes={changes.size} onClose={onClose} />
      </form>
    </Dialog>
  );
}
