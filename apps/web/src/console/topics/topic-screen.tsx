/**
 * @module
 * One topic: totals, every partition (log start, high watermark, records, bytes, where it lives; for a replicated
 * topic the leader, replicas, in-sync set and epoch), its configuration (config-card.tsx), and an operator's
 * actions — edit configs, add partitions, delete records before an offset in a partition, delete the topic
 * (typing its name). A compacted topic is marked, and its high watermark − log start is labelled "offsets": it
 * has gaps, and counting its records would mean reading the log. A token that may only produce or consume sees
 * the same figures without the actions; one that may do neither is told so by the server's 403.
 */
import { useState } from "preact/hooks";
import { lazyScreen } from "../lazy-screen.tsx";
import { can, isAdmin } from "../rights.ts";
import { href, navigate } from "../router.ts";
import { Button } from "../ui/button.tsx";
import { ConfirmDialog, Dialog } from "../ui/dialog.tsx";
import { describeError } from "../ui/errors.ts";
import { NumberField } from "../ui/field.tsx";
import { formatBytes, formatCount } from "../ui/format.ts";
import { ErrorBanner, toast } from "../ui/notice.tsx";
import { ScreenHeader } from "../ui/screen-header.tsx";
import { Empty, Loading } from "../ui/states.tsx";
import { type Column, Table } from "../ui/table.tsx";
import { useResource } from "../ui/use-resource.ts";
import { CompactedBadge, isCompacted, OFFSETS_NOTE } from "./cleanup-policy.tsx";
import { Leaders } from "./leaders.tsx";
import { retentionText } from "./retention.ts";
import {
  addPartitions,
  deleteRecords,
  deleteTopic,
  describeTopic,
  leadersOf,
  type PartitionView,
  recordsOf,
  type TopicView,
  totalsOf,
} from "./topics-api.ts";
import "./topics.css";

const MAX_PARTITIONS = 1_000;

/** Below the figures, with core's config table: loaded after them (config-card.tsx). */
const ConfigSection = lazyScreen(async () => (await import("./config-card.tsx")).ConfigSection);

export function TopicScreen({ topic }: { topic: string }) {
  const described = useResource(() => describeTopic(topic), [topic]);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [truncating, setTruncating] = useState<PartitionView | null>(null);
  const admin = isAdmin();
  const view = described.data;
  const crumbs = [{ label: "Topics", href: href(["topics"]) }];

  if (view === undefined) {
    const missing =
      described.error !== null && describeError(described.error).code === "UNKNOWN_TOPIC_OR_PARTITION";
    return (
      <section class="screen">
        <ScreenHeader title={topic} crumbs={crumbs} />
        {described.error === null ? (
          <Loading label="Loading topic…" />
        ) : missing ? (
          <Empty title={`There is no topic named “${topic}”`}>
            <a href={href(["topics"])}>Back to the topics</a>
          </Empty>
        ) : (
          <ErrorBanner
            error={described.error}
            title="Could not describe the topic"
            onRetry={described.reload}
          />
        )}
      </section>
    );
  }

  const totals = totalsOf(view);
  const compacted = isCompacted(view.config);
  return (
    <section class="screen">
      <ScreenHeader
        title={view.name}
        crumbs={crumbs}
        actions={
          <>
            {can("consume", view.name) ? (
              <a class="btn btn-secondary" href={href(["topics", view.name, "messages"])}>
                Messages
              </a>
            ) : null}
            <Button onClick={described.reload} busy={described.loading}>
              Refresh
            </Button>
            {admin ? (
              <>
                <Button onClick={() => setAdding(true)}>Add partitions</Button>
                <Button variant="danger" onClick={() => setDeleting(true)}>
                  Delete topic
                </Button>
              </>
            ) : null}
          </>
        }
      >
        <span class="mono">{view.topicId}</span> <CompactedBadge config={view.config} />
      </ScreenHeader>
      <ErrorBanner error={described.error} title="Could not refresh" onRetry={described.reload} />
      <dl class="stats">
        <div>
          <dt>Partitions</dt>
          <dd>{formatCount(view.partitions.length)}</dd>
        </div>
        <div>
          <dt>{compacted ? "Offsets" : "Records"}</dt>
          <dd>{formatCount(totals.records)}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(totals.bytes)}</dd>
        </div>
        <div>
          <dt>Retention</dt>
          <dd>{retentionText(view.config)}</dd>
        </div>
        <div>
          <dt>Leaders</dt>
          <dd>
            <Leaders leaders={leadersOf(view)} />
          </dd>
        </div>
      </dl>
      {compacted ? (
        <p class="notice notice-info offsets-note">
          Compacted topic: “Offsets” counts offsets, not records. {OFFSETS_NOTE}
        </p>
      ) : null}
      {totals.unknown > 0 ? (
        <p class="notice notice-error" role="status">
          {totals.unknown} partition(s) could not be reached: their figures are left out of the totals.
        </p>
      ) : null}
      <PartitionsTable
        view={view}
        admin={admin}
        consume={can("consume", view.name)}
        onTruncate={setTruncating}
      />
      <ConfigSection view={view} canEdit={admin} onChanged={described.reload} />
      <AddPartitionsDialog
        open={adding}
        view={view}
        onClose={() => setAdding(false)}
        onDone={(count) => {
          toast(`${view.name} now has ${count} partitions`);
          described.reload();
        }}
      />
      <DeleteRecordsDialog
        partition={truncating}
        topic={view.name}
        onClose={() => setTruncating(null)}
        onDone={(partition, logStart) => {
          toast(`Partition ${partition} now starts at offset ${formatCount(logStart)}`);
          described.reload();
        }}
      />
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title="Delete topic"
        confirmLabel="Delete topic"
        danger
        typed={view.name}
        onConfirm={async () => {
          await deleteTopic(view.name);
          toast(`Topic ${view.name} deleted`);
          navigate(href(["topics"]));
        }}
      >
        <p>
          Deletes <strong>{view.name}</strong>: {compacted ? "up to " : ""}
          {formatCount(totals.records)} records in {view.partitions.length} partitions, its producers' state
          and the offsets consumer groups committed for it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function PartitionsTable({
  view,
  admin,
  consume,
  onTruncate,
}: {
  view: TopicView;
  admin: boolean;
  consume: boolean;
  onTruncate: (partition: PartitionView) => void;
}) {
  const replicated = view.partitions.some((p) => p.replicas !== undefined);
  const placed = view.partitions.some((p) => p.region !== undefined);
  const columns: Column<PartitionView>[] = [
    { key: "partition", label: "Partition", numeric: true, cell: (p) => p.partition },
    {
      key: "start",
      label: "Log start",
      numeric: true,
      cell: (p) => (p.error === undefined ? formatCount(p.logStartOffset) : "—"),
    },
    {
      key: "hw",
      label: "High watermark",
      numeric: true,
      cell: (p) => (p.error === undefined ? formatCount(p.highWatermark) : "—"),
    },
    {
      key: "records",
      label: isCompacted(view.config) ? "Offsets" : "Records",
      numeric: true,
      cell: (p) => formatCount(recordsOf(p)),
    },
    { key: "bytes", label: "Size", numeric: true, cell: (p) => formatBytes(p.sizeBytes ?? -1) },
  ];
  if (placed)
    columns.push({
      key: "leader",
      label: replicated ? "Leader" : "Region",
      cell: (p) => (
        <>
          {p.leader ?? p.region ?? "—"}
          {p.offsetsFrom === undefined ? null : <span class="muted"> (figures from {p.offsetsFrom})</span>}
          {p.error === undefined ? null : (
            <div class="partition-error">
              <code>{p.error.code}</code> {p.error.message}
            </div>
          )}
        </>
      ),
    });
  if (replicated) {
    columns.push({
      key: "replicas",
      label: "Replicas",
      cell: (p) => (
        <span class="badges">
          {(p.replicas ?? []).map((region) => (
            <span
              key={region}
              class={p.isr?.includes(region) ? "badge badge-success" : "badge badge-danger"}
              title={p.isr?.includes(region) ? "in sync" : "out of sync"}
            >
              {region}
              <span class="visually-hidden">{p.isr?.includes(region) ? " (in sync)" : " (out of sync)"}</span>
            </span>
          ))}
        </span>
      ),
    });
    columns.push({ key: "epoch", label: "Epoch", numeric: true, cell: (p) => p.leaderEpoch ?? "—" });
  }
  if (admin || consume)
    columns.push({
      key: "actions",
      label: "Actions",
      visuallyHiddenLabel: true,
      cell: (p) => (
        <div class="row-actions">
          {consume ? (
            <a
              class="btn btn-ghost btn-small"
              href={href(["topics", view.name, "messages"], { partition: p.partition })}
              aria-label={`Messages of partition ${p.partition}`}
            >
              Messages
            </a>
          ) : null}
          {admin ? (
            <Button
              small
              variant="ghost"
              disabled={p.error !== undefined || p.highWatermark === p.logStartOffset}
              onClick={() => onTruncate(p)}
              aria-label={`Delete records of partition ${p.partition}`}
            >
              Delete records
            </Button>
          ) : null}
        </div>
      ),
    });
  return (
    <div class="card-flush">
      <h2>Partitions</h2>
      <Table
        caption={`Partitions of ${view.name}`}
        columns={columns}
        rows={view.partitions}
        rowKey={(p) => p.partition}
      />
    </div>
  );
}

function AddPartitionsDialog({
  open,
  view,
  onClose,
  onDone,
}: {
  open: boolean;
  view: TopicView;
  onClose: () => void;
  onDone: (count: number) => void;
}) {
  const current = view.partitions.length;
  const [count, setCount] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const wanted = /^\d+$/.test(count.trim()) ? Number(count.trim()) : Number.NaN;
  const valid = wanted > current && wanted <= MAX_PARTITIONS;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(null);
    try {
      await addPartitions(view.name, wanted);
      onDone(wanted);
      setCount("");
      onClose();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={() => !busy && onClose()} title="Add partitions">
      <form class="form" onSubmit={submit}>
        <p>
          <strong>{view.name}</strong> has {current} partition{current === 1 ? "" : "s"}. New partitions start
          empty; keys hashed to a partition may map to another once the count changes (as in Kafka).
        </p>
        <NumberField
          label="New total number of partitions"
          name="count"
          value={count}
          onValue={setCount}
          placeholder={String(current + 1)}
          error={count.trim() !== "" && !valid ? `More than ${current}, at most ${MAX_PARTITIONS}.` : null}
        />
        <ErrorBanner error={error} />
        <div class="form-actions">
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={busy} disabled={!valid}>
            Add partitions
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteRecordsDialog({
  partition,
  topic,
  onClose,
  onDone,
}: {
  partition: PartitionView | null;
  topic: string;
  onClose: () => void;
  onDone: (partition: number, logStartOffset: number) => void;
}) {
  const [before, setBefore] = useState("");
  const low = partition?.logStartOffset ?? 0;
  const high = partition?.highWatermark ?? 0;
  const typed =
    before.trim() === "" ? high : /^\d+$/.test(before.trim()) ? Number(before.trim()) : Number.NaN;
  const valid = typed >= low && typed <= high;
  return (
    <ConfirmDialog
      open={partition !== null}
      onClose={() => {
        setBefore("");
        onClose();
      }}
      title={`Delete records of partition ${partition?.partition ?? ""}`}
      confirmLabel="Delete records"
      danger
      canConfirm={valid}
      onConfirm={async () => {
        if (partition === null || !valid) throw new Error(`the offset must lie in [${low}, ${high}]`);
        const bounds = await deleteRecords(topic, partition.partition, typed);
        onDone(partition.partition, bounds.logStartOffset);
        setBefore("");
      }}
    >
      <p>
        Moves the partition's log start: records before the offset are gone for every reader and group
        (Kafka's DeleteRecords). The partition holds offsets {formatCount(low)} to{" "}
        {formatCount(Math.max(low, high - 1))}.
      </p>
      <NumberField
        label="Delete records before offset"
        name="beforeOffset"
        value={before}
        onValue={setBefore}
        placeholder={String(high)}
        hint={`From ${low} to ${high} (the high watermark, the default: every record).`}
        error={valid ? null : `An offset from ${low} to ${high}.`}
      />
    </ConfirmDialog>
  );
}
