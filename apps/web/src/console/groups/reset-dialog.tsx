/**
 * @module
 * Reset a group's offsets for one topic — all its partitions or one — to the earliest offset, the latest, the
 * first record at or after a time, or an exact offset. "Preview" is the dry run: fresh bounds and committed
 * offsets from the server, the plan computed here (`reset-plan.ts`), a table of current → new per partition.
 * "Apply" commits the plan as an admin (no member), which the server accepts only while the group has no
 * members: the button is disabled while this screen sees members, and the server's `NON_EMPTY_GROUP` is shown
 * if one joined meanwhile. Any change to the form discards the preview, so what is applied is what was shown.
 */

import { useState } from "preact/hooks";
import { mapLimit } from "../map-limit.ts";
import { formatCount } from "../ui/format.ts";
import { ErrorNote } from "./error-note.tsx";
import { commitAsAdmin, committedOffsets, describeTopic, offsetForTime } from "./group-api.ts";
import { Modal } from "./modal.tsx";
import {
  type PartitionState,
  type PlannedMove,
  parseTarget,
  planReset,
  type ResetTarget,
} from "./reset-plan.ts";

/** Offset-for-time requests in flight at once (one per partition). */
const TIME_LOOKUPS_IN_FLIGHT = 6;

const TARGETS: readonly { kind: ResetTarget["kind"]; label: string }[] = [
  { kind: "earliest", label: "Earliest" },
  { kind: "latest", label: "Latest" },
  { kind: "time", label: "A time" },
  { kind: "offset", label: "An offset" },
];

interface Plan {
  readonly topic: string;
  readonly moves: readonly PlannedMove[];
}

async function preview(
  group: string,
  topic: string,
  partition: number | "all",
  target: ResetTarget,
): Promise<Plan> {
  const described = await describeTopic(topic);
  const chosen =
    partition === "all"
      ? described.partitions
      : described.partitions.filter((p) => p.partition === partition);
  const committed = new Map(
    (await committedOffsets(group, [topic])).map((row) => [row.partition, row.offset] as const),
  );
  const forTime =
    target.kind === "time"
      ? await mapLimit(chosen, TIME_LOOKUPS_IN_FLIGHT, (p) =>
          offsetForTime(topic, p.partition, target.timestampMs),
        )
      : [];
  const states: PartitionState[] = chosen.map((p, i) => ({
    partition: p.partition,
    current: committed.get(p.partition) ?? -1,
    logStartOffset: p.logStartOffset,
    highWatermark: p.highWatermark,
    ...(forTime[i] === undefined ? {} : { forTime: forTime[i] }),
  }));
  return { topic, moves: planReset(target, states) };
}

function change(move: PlannedMove): string {
  if (move.current < 0) return "—";
  const delta = move.next - move.current;
  return delta === 0 ? "0" : delta > 0 ? `+${formatCount(delta)}` : `−${formatCount(-delta)}`;
}

export function ResetDialog({
  group,
  topics,
  memberCount,
  onClose,
  onApplied,
}: {
  group: string;
  /** Topics the group follows that exist, with their partition counts. */
  topics: readonly { name: string; partitions: number }[];
  memberCount: number;
  onClose: () => void;
  onApplied: (summary: string) => void;
}) {
  const [topic, setTopic] = useState(topics[0]?.name ?? "");
  const [partition, setPartition] = useState<"all" | number>("all");
  const [kind, setKind] = useState<ResetTarget["kind"]>("earliest");
  const [time, setTime] = useState("");
  const [offset, setOffset] = useState("");
  const [plan, setPlan] = useState<Plan | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const partitions = topics.find((t) => t.name === topic)?.partitions ?? 0;
  /** Every edit discards the preview: only a plan that was shown can be applied. */
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setPlan(null);
      setProblem(null);
      setError(null);
    };

  const runPreview = async (event: Event): Promise<void> => {
    event.preventDefault();
    const parsed = parseTarget(kind, time, offset);
    if ("problem" in parsed) {
      setProblem(parsed.problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setPlan(await preview(group, topic, partition, parsed.target));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const apply = async (): Promise<void> => {
    if (plan === null) return;
    setBusy(true);
    setError(null);
    try {
      await commitAsAdmin(
        group,
        plan.moves.map((move) => ({ topic: plan.topic, partition: move.partition, offset: move.next })),
      );
      const count = plan.moves.length;
      onApplied(`Reset ${count} partition${count === 1 ? "" : "s"} of ${plan.topic}.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (topics.length === 0) {
    return (
      <Modal title="Reset offsets" onClose={onClose}>
        <p>This group follows no topic that exists: there is nothing to reset.</p>
        <div class="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </Modal>
    );
  }

  return (
    <Modal title={`Reset offsets of ${group}`} onClose={onClose} wide>
      <form id="reset-form" class="reset-form" onSubmit={runPreview}>
        <label>
          Topic
          <select
            id="reset-topic"
            value={topic}
            onChange={(e) => {
              edit(setTopic)(e.currentTarget.value);
              setPartition("all");
            }}
          >
            {topics.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Partitions
          <select
            id="reset-partition"
            value={String(partition)}
            onChange={(e) => {
              const value = e.currentTarget.value;
              edit(setPartition)(value === "all" ? "all" : Number(value));
            }}
          >
            <option value="all">All partitions</option>
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={String(p)}>
                Partition {p}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Move to</legend>
          {TARGETS.map((t) => (
            <label key={t.kind} class="choice">
              <input
                type="radio"
                name="reset-to"
                value={t.kind}
                checked={kind === t.kind}
                onChange={() => edit(setKind)(t.kind)}
              />
              {t.label}
            </label>
          ))}
        </fieldset>
        {kind === "time" ? (
          <label>
            First record at or after (your local time)
            <input
              id="reset-time"
              type="datetime-local"
              step="1"
              value={time}
              onInput={(e) => edit(setTime)(e.currentTarget.value)}
            />
          </label>
        ) : null}
        {kind === "offset" ? (
          <label>
            Offset (the next record the group reads)
            <input
              id="reset-offset"
              inputMode="numeric"
              autoComplete="off"
              value={offset}
              onInput={(e) => edit(setOffset)(e.currentTarget.value)}
            />
          </label>
        ) : null}
        {problem === null ? null : (
          <p class="error-note" role="alert">
            {problem}
          </p>
        )}
        <div class="actions">
          <button type="submit" id="reset-preview" disabled={busy}>
            Preview (dry run)
          </button>
        </div>
      </form>

      {plan === null ? null : (
        <div class="table-wrap">
          <table id="reset-plan" class="data">
            <caption>Dry run for {plan.topic}: nothing is changed until you apply.</caption>
            <thead>
              <tr>
                <th scope="col">Partition</th>
                <th scope="col" class="num">
                  Current
                </th>
                <th scope="col" class="num">
                  New
                </th>
                <th scope="col" class="num">
                  Change
                </th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {plan.moves.map((move) => (
                <tr key={move.partition} data-partition={move.partition}>
                  <td>{move.partition}</td>
                  <td class="num current">{formatCount(move.current)}</td>
                  <td class="num next">{formatCount(move.next)}</td>
                  <td class="num">{change(move)}</td>
                  <td class="muted">{move.note ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {memberCount > 0 ? (
        <p class="notice" id="reset-blocked">
          The group has {memberCount} member{memberCount === 1 ? "" : "s"}. Offsets can be reset only while it
          is empty (the server refuses with <code>NON_EMPTY_GROUP</code>): stop its consumers, then apply.
        </p>
      ) : null}
      {error === null ? null : <ErrorNote error={error} />}
      <div class="actions">
        <button
          type="button"
          id="reset-apply"
          class="primary"
          disabled={busy || plan === null || memberCount > 0}
          onClick={apply}
        >
          Apply
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
