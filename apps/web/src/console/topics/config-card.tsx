/**
 * @module
 * A topic's configuration on its page: every setting edgelog honours with the value in force, in words where a
 * unit helps, and whether it is the default or set on the topic; compaction settings are marked as applying to
 * compacted topics only. An operator edits them in a dialog (`PATCH /v1/topics/{t}`): a field holds what the
 * topic set, emptying it (or "Reset") returns the setting to its default, and the server's refusal — an
 * INVALID_CONFIG naming the setting and why — is shown in the dialog with nothing changed.
 */
import { useState } from "preact/hooks";
import { Button } from "../ui/button.tsx";
import { ConfigEditFooter, ResetToDefault, useConfigEdit } from "../ui/config-edit.tsx";
import { Dialog } from "../ui/dialog.tsx";
import { SelectField, TextField } from "../ui/field.tsx";
import { toast } from "../ui/notice.tsx";
import { isCompactionSetting, isRetentionSetting, readableValue, topicConfigEntries } from "./config-form.ts";
import { alterTopicConfig, type TopicView } from "./topics-api.ts";

const POLICIES = [
  { value: "delete", label: "delete — by age and size (default)" },
  { value: "compact", label: "compact — the latest record per key" },
  { value: "compact,delete", label: "compact,delete — both" },
] as const;

type Policy = (typeof POLICIES)[number]["value"];

const isReplicated = (view: TopicView) => view.partitions.some((p) => p.replicas !== undefined);

/**
 * The card and its edit dialog: a chunk of its own, loaded with the topic page's figures already on screen (the
 * card sits below them, and core's config table comes with it), so the first load stays small.
 */
export function ConfigSection({
  view,
  canEdit,
  onChanged,
}: {
  view: TopicView;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  return (
    <>
      <ConfigCard view={view} canEdit={canEdit} onEdit={() => setEditing(true)} />
      <EditConfigsDialog
        open={editing}
        view={view}
        onClose={() => setEditing(false)}
        onDone={(changed) => {
          toast(`Changed ${changed} config${changed === 1 ? "" : "s"} of ${view.name}`);
          onChanged();
        }}
      />
    </>
  );
}

function ConfigCard({ view, canEdit, onEdit }: { view: TopicView; canEdit: boolean; onEdit: () => void }) {
  const policy = view.config["cleanup.policy"];
  return (
    <div class="card config-list">
      <div class="card-head">
        <h2>Configuration</h2>
        {canEdit ? <Button onClick={onEdit}>Edit configs</Button> : null}
      </div>
      <dl class="facts config-facts">
        {topicConfigEntries(view.config, isReplicated(view)).map((entry) => {
          const readable = readableValue(entry.name, entry.value);
          return (
            <div key={entry.name} class="fact" data-config={entry.name}>
              <dt>
                <code>{entry.name}</code>
              </dt>
              <dd>
                <span class="config-value">
                  <code>{entry.value}</code>
                  {readable === undefined ? null : <span class="muted"> ({readable})</span>}
                </span>{" "}
                {entry.isDefault ? (
                  <span class="badge" data-source="default">
                    default
                  </span>
                ) : (
                  <span class="badge badge-accent" data-source="topic">
                    set
                  </span>
                )}
                {isCompactionSetting(entry.name) && policy === "delete" ? (
                  <span class="muted config-scope">compacted topics only</span>
                ) : null}
                {isRetentionSetting(entry.name) && policy === "compact" ? (
                  <span class="muted config-scope">
                    not applied: compact alone deletes nothing by age or size
                  </span>
                ) : null}
              </dd>
            </div>
          );
        })}
      </dl>
    </div>
  );
}

function EditConfigsDialog({
  open,
  view,
  onClose,
  onDone,
}: {
  open: boolean;
  view: TopicView;
  onClose: () => void;
  onDone: (changed: number) => void;
}) {
  const entries = topicConfigEntries(view.config, isReplicated(view));
  const { changes, busy, error, text, edit, submit } = useConfigEdit(
    entries,
    open,
    (changed) => alterTopicConfig(view.name, changed),
    onDone,
    onClose,
  );
  const policy = entries.find((entry) => entry.name === "cleanup.policy");
  return (
    <Dialog open={open} onClose={() => !busy && onClose()} title="Edit configs" wide>
      <form class="form config-form" onSubmit={submit} noValidate>
        <p class="field-hint">
          Empty means the default (shown greyed). Only the settings you change are sent; the others keep their
          values. Every partition applies the change at once.
        </p>
        {policy === undefined ? null : (
          <SelectField
            label="cleanup.policy"
            name="cleanup.policy"
            value={(text(policy) || "delete") as Policy}
            onValue={(value) => edit("cleanup.policy", value === "delete" && policy.isDefault ? "" : value)}
            options={POLICIES}
            hint="Compacted topics refuse records without a key; compaction is not offered on replicated topics."
          />
        )}
        <div class="config-fields">
          {entries
            .filter((entry) => entry.name !== "cleanup.policy")
            .map((entry) => {
              const current = text(entry);
              const readable = readableValue(entry.name, entry.value);
              return (
                <div key={entry.name} class="config-field">
                  <TextField
                    label={entry.name}
                    name={entry.name}
                    value={current}
                    onValue={(value) => edit(entry.name, value)}
                    placeholder={entry.isDefault ? entry.value : undefined}
                    autocomplete="off"
                    spellcheck={false}
                    maxLength={64}
                    hint={
                      entry.isDefault
                        ? `Default${readable === undefined ? "" : `: ${readable}`}`
                        : `Set on the topic${readable === undefined ? "" : `: ${readable}`}`
                    }
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
