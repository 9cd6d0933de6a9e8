/**
 * @module
 * One share group (`#/share-groups/{g}`): its state, config, members with their sessions, and per share-partition
 * the start offset (records below it are done), the end of its window, the records in flight by state
 * (available, acquired, acknowledged, archived), dead-letter copies waiting, the high watermark and the lag; its
 * config, which a caller with the group right edits (share-config.tsx); and for an operator, delete (confirmed;
 * the server refuses while a member has a session, and says so). Members take and acknowledge records through
 * the client, not here.
 */
import type { ShareMemberDescription } from "@edgelog/core";
import { useState } from "preact/hooks";
import { can, isAdmin } from "../rights.ts";
import { href, navigate } from "../router.ts";
import { Button } from "../ui/button.tsx";
import { ConfirmDialog } from "../ui/dialog.tsx";
import { describeError } from "../ui/errors.ts";
import { formatCount, formatTime } from "../ui/format.ts";
import { ErrorBanner, toast } from "../ui/notice.tsx";
import { ScreenHeader } from "../ui/screen-header.tsx";
import { Empty, Loading } from "../ui/states.tsx";
import { type Column, Table } from "../ui/table.tsx";
import { useResource } from "../ui/use-resource.ts";
import { ShareConfigSection } from "./share-config.tsx";
import {
  deleteShareGroup,
  describeShareGroup,
  inFlightOf,
  type ShareGroupView,
  type SharePartitionView,
} from "./share-group-api.ts";
import { ShareStateBadge } from "./share-state-badge.tsx";
import "./share-groups.css";

export function ShareGroupScreen({ group }: { group: string }) {
  const described = useResource(() => describeShareGroup(group), [group]);
  const [deleting, setDeleting] = useState(false);
  const view = described.data;
  const crumbs = [{ label: "Share groups", href: href(["share-groups"]) }];

  if (view === undefined) {
    const missing = described.error !== null && describeError(described.error).code === "GROUP_ID_NOT_FOUND";
    return (
      <section class="screen">
        <ScreenHeader title={group} crumbs={crumbs} />
        {described.error === null ? (
          <Loading label="Loading share group…" />
        ) : missing ? (
          <Empty title={`There is no share group “${group}”`}>
            <p>A share group appears when a share consumer first fetches with it, or its config is set.</p>
            <a href={href(["share-groups"])}>Back to the share groups</a>
          </Empty>
        ) : (
          <ErrorBanner
            error={described.error}
            title="Could not describe the share group"
            onRetry={described.reload}
          />
        )}
      </section>
    );
  }

  const inFlight = view.partitions.reduce((total, p) => total + inFlightOf(p), 0);
  const lag = view.partitions.reduce((total, p) => total + p.lag, 0);
  return (
    <section class="screen">
      <ScreenHeader
        title={<span class="share-group-id">{view.group}</span>}
        crumbs={crumbs}
        actions={
          <>
            <Button onClick={described.reload} busy={described.loading}>
              Refresh
            </Button>
            {isAdmin() ? (
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete share group
              </Button>
            ) : null}
          </>
        }
      >
        <ShareStateBadge state={view.state} />
      </ScreenHeader>
      <ErrorBanner error={described.error} title="Could not refresh" onRetry={described.reload} />
      <dl class="stats">
        <div>
          <dt>Members</dt>
          <dd>{formatCount(view.members.length)}</dd>
        </div>
        <div>
          <dt>Partitions</dt>
          <dd>{formatCount(view.partitions.length)}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{formatCount(inFlight)}</dd>
        </div>
        <div>
          <dt>Lag</dt>
          <dd>{formatCount(lag)}</dd>
        </div>
      </dl>
      <PartitionsCard view={view} />
      <MembersCard members={view.members} />
      <ShareConfigSection view={view} canEdit={can("group", view.group)} onChanged={described.reload} />
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title="Delete share group"
        confirmLabel="Delete share group"
        danger
        onConfirm={async () => {
          await deleteShareGroup(view.group);
          toast(`Share group ${view.group} deleted`);
          navigate(href(["share-groups"]));
        }}
      >
        <p>
          Deletes <strong class="share-group-id">{view.group}</strong>: its start offsets, the{" "}
          {formatCount(inFlight)} records in flight and its config. Members that fetch with it later start
          where
          <code> share.auto.offset.reset</code> says. Refused while a member has a session.
        </p>
      </ConfirmDialog>
    </section>
  );
}

const PARTITION_COLUMNS: Column<SharePartitionView>[] = [
  { key: "topic", label: "Topic", cell: (p) => <a href={href(["topics", p.topic])}>{p.topic}</a> },
  { key: "partition", label: "Partition", numeric: true, cell: (p) => p.partition },
  { key: "start", label: "Start offset", numeric: true, cell: (p) => formatCount(p.startOffset) },
  { key: "end", label: "End offset", numeric: true, cell: (p) => formatCount(p.endOffset) },
  { key: "available", label: "Available", numeric: true, cell: (p) => formatCount(p.inFlight.available) },
  { key: "acquired", label: "Acquired", numeric: true, cell: (p) => formatCount(p.inFlight.acquired) },
  {
    key: "acknowledged",
    label: "Acknowledged",
    numeric: true,
    cell: (p) => formatCount(p.inFlight.acknowledged),
  },
  { key: "archived", label: "Archived", numeric: true, cell: (p) => formatCount(p.inFlight.archived) },
  {
    key: "dlq",
    label: "To dead-letter",
    numeric: true,
    cell: (p) => formatCount(p.pendingDeadLetters),
  },
  {
    key: "hw",
    label: "High watermark",
    numeric: true,
    cell: (p) => (p.highWatermark === null ? "—" : formatCount(p.highWatermark)),
  },
  { key: "lag", label: "Lag", numeric: true, cell: (p) => formatCount(p.lag) },
  {
    key: "lock",
    label: "Next lock expiry",
    cell: (p) => (p.nextLockDeadline === null ? "—" : new Date(p.nextLockDeadline).toLocaleTimeString()),
  },
];

function PartitionsCard({ view }: { view: ShareGroupView }) {
  return (
    <div class="card-flush">
      <h2>Share-partitions</h2>
      <p class="muted share-note">
        Records below the start offset are done; from it to the end offset they are in flight, by state.
      </p>
      <Table
        caption={`Share-partitions of ${view.group}`}
        columns={PARTITION_COLUMNS}
        rows={view.partitions}
        rowKey={(p) => `${p.topic}\u0000${p.partition}`}
        empty="The group has not taken records from any partition yet."
        class="share-partitions"
      />
    </div>
  );
}

const MEMBER_COLUMNS: Column<ShareMemberDescription>[] = [
  { key: "member", label: "Member", cell: (m) => <code class="share-member-id">{m.memberId}</code> },
  { key: "client", label: "Client", cell: (m) => m.clientId ?? "—" },
  { key: "topics", label: "Topics", cell: (m) => m.topics.join(", ") || "—" },
  { key: "epoch", label: "Session epoch", numeric: true, cell: (m) => m.sessionEpoch },
  { key: "seen", label: "Last seen", cell: (m) => formatTime(m.lastSeenMs) },
];

function MembersCard({ members }: { members: readonly ShareMemberDescription[] }) {
  return (
    <div class="card-flush">
      <h2>Members</h2>
      <Table
        caption="Members with a share session"
        columns={MEMBER_COLUMNS}
        rows={members}
        rowKey={(m) => m.memberId}
        empty="No member has a share session."
      />
    </div>
  );
}
