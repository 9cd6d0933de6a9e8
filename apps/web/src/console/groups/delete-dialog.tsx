/**
 * @module
 * Deleting a group, confirmed: the group and its committed offsets go (`DELETE /v1/groups/{g}`), which the
 * server allows only while it has no members. Cancel comes first, so it has the focus when the dialog opens and Enter alone never deletes.
 */
import { useState } from "preact/hooks";
import { ErrorNote } from "./error-note.tsx";
import { deleteGroup } from "./group-api.ts";
import { Modal } from "./modal.tsx";

export function DeleteGroupDialog({
  group,
  onClose,
  onDeleted,
}: {
  group: string;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const remove = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await deleteGroup(group);
      onDeleted();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <Modal title="Delete group" onClose={onClose}>
      <p>
        Delete <strong>{group}</strong> and every offset it committed? Consumers that join it later start from
        their <code>fromBeginning</code> setting.
      </p>
      {error === null ? null : <ErrorNote error={error} />}
      <div class="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" id="delete-confirm" class="danger" disabled={busy} onClick={remove}>
          Delete group
        </button>
      </div>
    </Modal>
  );
}
