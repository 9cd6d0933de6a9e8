/**
 * @module
 * One consumer group (`#/groups/{g}?every=S`): state and epochs, members with what they own, will own and are
 * releasing, every followed partition's committed offset, bounds and lag, and the total lag charted over time
 * while the page is open. Polled every `every` seconds (default 5), backing off on errors. From here an operator
 * resets the group's offsets (dry run first) or deletes it — both only while it has no members, as the server
 * requires.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { href, navigate, route } from "../router.ts";
import { formatCount, formatTime } from "../ui/format.ts";
import { DeleteGroupDialog } from "./delete-dialog.tsx";
import { ErrorNote } from "./error-note.tsx";
import { formatPartitions, formatRelative } from "./format.ts";
import type { MemberView, TopicPartitionsView } from "./group-api.ts";
import { type GroupSnapshot, loadGroupSnapshot, type PartitionRow } from "./group-snapshot.ts";
import { LagChart } from "./lag-chart.tsx";
import { LagHistory } from "./lag-history.ts";
import { Pager, usePage } from "./pager.tsx";
import { ResetDialog } from "./reset-dialog.tsx";
import { StateBadge } from "./state-badge.tsx";
import { usePoll } from "./use-poll.ts";
import "./groups.css";

/** Refresh choices, in seconds; 5 by default (a few requests per poll, cheap for the Worker). */
const REFRESH_CHOICES = [1, 2, 5, 10, 30, 60] as const;
const DEFAULT_REFRESH_S = 5;
const ROWS_PER_PAGE = 100;

function refreshSeconds(query: URLSearchParams): number {
  const asked = Number(query.get("every"));
  return (REFRESH_CHOICES as readonly number[]).includes(asked) ? asked : DEFAULT_REFRESH_S;
}

function Assignment({ parts }: { parts: readonly TopicPartitionsView[] }) {
  if (parts.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="plain">
      {parts.map((p) => (
        <li key={p.topic}>
          <span class="topic-name">{p.topic}</span>: {formatPartitions(p.partitions)}
        </li>
      ))}
    </ul>
  );
}

/** A member's target differs from what it owns while the group reconciles. */
const sameAssignment = (a: readonly TopicPartitionsView[], b: readonly TopicPartitionsView[]): boolean =>
  JSON.stringify(a.map((p) => [p.topic, [...p.partitions].sort((x, y) => x - y)])) ===
  JSON.stringify(b.map((p) => [p.topic, [...p.partitions].sort((x, y) => x - y)]));

function MembersTable({ members, nowMs }: { members: readonly MemberView[]; nowMs: number }) {
  const paged = usePage(members, ROWS_PER_PAGE);
  if (members.length === 0) return <p class="muted">No members: no consumer is in the group now.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="data" id="members">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Client</th>
              <th scope="col" class="num">
                Epoch
              </th>
              <th scope="col">Subscribed</th>
              <th scope="col">Assigned</th>
              <th scope="col">Target</th>
              <th scope="col">Releasing</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {paged.rows.map((m) => (
              <tr key={m.memberId} data-member={m.memberId}>
                <td>
                  <code class="id">{m.memberId}</code>
                </td>
                <td>{m.clientId ?? <span class="muted">—</span>}</td>
                <td class="num">{m.memberEpoch}</td>
                <td>{m.topics.join(", ")}</td>
                <td class="assignment">
                  <Assignment parts={m.assignment} />
                </td>
                <td>
                  {sameAssignment(m.assignment, m.targetAssignment) ? (
                    <span class="muted">same</span>
                  ) : (
                    <Assignment parts={m.targetAssignment} />
                  )}
                </td>
                <td>
                  {m.pendingRevocation.length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    <Assignment parts={m.pendingRevocation} />
                  )}
                </td>
                <td title={formatTime(m.lastHeartbeatMs)}>{formatRelative(m.lastHeartbeatMs, nowMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label="members" state={paged} />
    </>
  );
}

function PartitionsTable({ rows }: { rows: readonly PartitionRow[] }) {
  const paged = usePage(rows, ROWS_PER_PAGE);
  if (rows.length === 0)
    return <p class="muted">The group follows no partition yet: it has no subscription and no commits.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="data" id="partitions">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col" class="num">
                Partition
              </th>
              <th scope="col" class="num">
                Committed
              </th>
              <th scope="col" class="num">
                Log start
              </th>
              <th scope="col" class="num">
                High watermark
              </th>
              <th scope="col" class="num">
                Lag
              </th>
              <th scope="col">Owner</th>
            </tr>
          </thead>
          <tbody>
            {paged.rows.map((row) => (
              <tr key={`${row.partition}/${row.topic}`} data-topic={row.topic} data-partition={row.partition}>
                <td>
                  <a href={href(["topics", row.topic, "messages"], { partition: row.partition })}>
                    {row.topic}
                  </a>
                </td>
                <td class="num">{row.partition}</td>
                <td class="num committed" title={row.committed < 0 ? "never committed" : undefined}>
                  {formatCount(row.committed)}
                </td>
                <td class="num">{row.logStartOffset === null ? "—" : formatCount(row.logStartOffset)}</td>
                <td class="num high">{row.highWatermark === null ? "—" : formatCount(row.highWatermark)}</td>
                <td class={row.lag > 0 ? "num lag behind" : "num lag"}>{formatCount(row.lag)}</td>
                <td>
                  {row.owner === null ? (
                    <span class="muted">unassigned</span>
                  ) : (
                    <code class="id">{row.owner}</code>
                  )}
                  {row.revoking ? <span class="muted"> (releasing)</span> : null}
                  {row.target === null ? null : (
                    <span class="muted">
                      {" "}
                      → <code class="id">{row.target}</code>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label="partitions" state={paged} />
    </>
  );
}

function Summary({ snapshot }: { snapshot: GroupSnapshot }) {
  const { view } = snapshot;
  return (
    <dl class="summary">
      <div>
        <dt>State</dt>
        <dd>
          <StateBadge state={view.state} />
        </dd>
      </div>
      <div>
        <dt>Members</dt>
        <dd id="member-count">{view.members.length}</dd>
      </div>
      <div>
        <dt>Group epoch</dt>
        <dd>{view.groupEpoch}</dd>
      </div>
      <div>
        <dt>Assignment epoch</dt>
        <dd>{view.assignmentEpoch}</dd>
      </div>
      <div>
        <dt>Assignor</dt>
        <dd>{view.assignor}</dd>
      </div>
      <div>
        <dt>Total lag</dt>
        <dd id="total-lag">{formatCount(snapshot.totalLag)}</dd>
      </div>
    </dl>
  );
}

export function GroupScreen({ group }: { group: string }) {
  const every = refreshSeconds(route.value.query);
  // Kept while reloading, so changing the refresh interval does not blank the page; a snapshot of another
  // group (the route moved on) is not shown.
  const polled = usePoll(() => loadGroupSnapshot(group), every * 1000, [group], { keep: true });
  const history = useMemo(() => new LagHistory(), [group]);
  const [version, setVersion] = useState(0);
  const [dialog, setDialog] = useState<"reset" | "delete" | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const snapshot = polled.data?.view.group === group ? polled.data : undefined;

  useEffect(() => {
    if (snapshot === undefined || polled.loadedAt === null) return;
    history.add(polled.loadedAt, snapshot.totalLag);
    setVersion((v) => v + 1);
  }, [snapshot, polled.loadedAt, history]);

  const memberCount = snapshot?.view.members.length ?? 0;
  const nowMs = polled.loadedAt ?? Date.now();

  return (
    <section class="screen cg group-screen">
      <p class="crumbs">
        <a href={href(["groups"])}>Consumer groups</a> /
      </p>
      <header class="screen-head">
        <h1>
          <span class="id">{group}</span>
        </h1>
        <div class="toolbar">
          <label class="inline">
            Refresh every
            <select
              value={String(every)}
              onChange={(e) =>
                navigate(href(["groups", group], { every: e.currentTarget.value }), { replace: true })
              }
            >
              {REFRESH_CHOICES.map((s) => (
                <option key={s} value={String(s)}>
                  {s} s
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            id="open-reset"
            disabled={snapshot === undefined}
            onClick={() => setDialog("reset")}
          >
            Reset offsets…
          </button>
          <button
            type="button"
            id="open-delete"
            class="danger"
            disabled={snapshot === undefined || memberCount > 0}
            title={memberCount > 0 ? "A group with members cannot be deleted" : undefined}
            onClick={() => setDialog("delete")}
          >
            Delete group…
          </button>
        </div>
      </header>

      {status === null ? null : (
        <p class="notice success" role="status" id="group-status">
          {status}
        </p>
      )}
      {polled.error === undefined ? null : (
        <ErrorNote
          error={polled.error}
          context={
            snapshot === undefined
              ? "Could not load the group"
              : `Showing the group as of ${formatTime(nowMs)}; retrying`
          }
        />
      )}
      {snapshot === undefined ? (
        polled.error === undefined ? (
          <p class="muted">Loading…</p>
        ) : null
      ) : (
        <>
          <Summary snapshot={snapshot} />
          {snapshot.topicErrors.map(({ topic, error }) => (
            <ErrorNote key={topic} error={error} context={`Topic ${topic}`} />
          ))}
          {snapshot.topicsNotShown > 0 ? (
            <p class="notice">
              The group follows {snapshot.topicsNotShown} more topics than this page shows.
            </p>
          ) : null}
          <h2>Lag over time</h2>
          <LagChart history={history} version={version} />
          <h2>Members ({snapshot.view.members.length})</h2>
          <MembersTable members={snapshot.view.members} nowMs={nowMs} />
          <h2>Partitions ({snapshot.partitions.length})</h2>
          <PartitionsTable rows={snapshot.partitions} />
        </>
      )}

      {dialog === "reset" && snapshot !== undefined ? (
        <ResetDialog
          group={group}
          topics={snapshot.topics.map((t) => ({ name: t.name, partitions: t.partitions.length }))}
          memberCount={memberCount}
          onClose={() => setDialog(null)}
          onApplied={(summary) => {
            setDialog(null);
            setStatus(summary);
            polled.refresh();
          }}
        />
      ) : null}
      {dialog === "delete" ? (
        <DeleteGroupDialog
          group={group}
          onClose={() => setDialog(null)}
          onDeleted={() => navigate(href(["groups"], { deleted: group }))}
        />
      ) : null}
    </section>
  );
}
