/**
 * @module
 * Share groups (`#/share-groups?q=&page=`): every share group's id from `GET /v1/share-groups` (admin), filtered by
 * a substring and shown a page at a time; only the page's groups are described (state, members, partitions,
 * records in flight, lag), so thousands of groups cost one listing and a page of descriptions. A token without
 * `admin` gets the server's refusal and can still open a group by id.
 */

import { useState } from "preact/hooks";
import { mapLimit } from "../map-limit.ts";
import { href, navigate, route } from "../router.ts";
import { Button } from "../ui/button.tsx";
import { describeError } from "../ui/errors.ts";
import { formatCount } from "../ui/format.ts";
import { ErrorBanner } from "../ui/notice.tsx";
import { ScreenHeader } from "../ui/screen-header.tsx";
import { Empty, Loading } from "../ui/states.tsx";
import { type Column, Table } from "../ui/table.tsx";
import { useResource } from "../ui/use-resource.ts";
import { describeShareGroup, inFlightOf, listShareGroups, type ShareGroupView } from "./share-group-api.ts";
import { ShareStateBadge } from "./share-state-badge.tsx";
import "./share-groups.css";

const PER_PAGE = 25;
const DESCRIBES_IN_FLIGHT = 6;
/** Longer than any group id: matches nothing, so longer input is cut. */
const MAX_FILTER_CHARS = 255;

type Row = { readonly group: string } & ({ readonly view: ShareGroupView } | { readonly error: unknown });

interface Page {
  readonly rows: readonly Row[];
  readonly matching: number;
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

async function loadPage(filter: string, page: number): Promise<Page> {
  const all = (await listShareGroups()).sort();
  const needle = filter.toLowerCase();
  const matching = needle === "" ? all : all.filter((g) => g.toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(matching.length / PER_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const names = matching.slice(current * PER_PAGE, (current + 1) * PER_PAGE);
  const rows = await mapLimit(names, DESCRIBES_IN_FLIGHT, async (group): Promise<Row> => {
    try {
      return { group, view: await describeShareGroup(group) };
    } catch (error) {
      return { group, error };
    }
  });
  return { rows, matching: matching.length, total: all.length, page: current, pages };
}

const sum = (view: ShareGroupView, of: (p: ShareGroupView["partitions"][number]) => number) =>
  view.partitions.reduce((total, p) => total + of(p), 0);

const COLUMNS: Column<Row>[] = [
  {
    key: "group",
    label: "Share group",
    cell: (row) => (
      <a class="share-group-id" href={href(["share-groups", row.group])}>
        {row.group}
      </a>
    ),
  },
  {
    key: "state",
    label: "State",
    cell: (row) => ("view" in row ? <ShareStateBadge state={row.view.state} /> : <RowError row={row} />),
  },
  {
    key: "members",
    label: "Members",
    numeric: true,
    cell: (row) => ("view" in row ? formatCount(row.view.members.length) : "—"),
  },
  {
    key: "partitions",
    label: "Partitions",
    numeric: true,
    cell: (row) => ("view" in row ? formatCount(row.view.partitions.length) : "—"),
  },
  {
    key: "inflight",
    label: "In flight",
    numeric: true,
    cell: (row) => ("view" in row ? formatCount(sum(row.view, inFlightOf)) : "—"),
  },
  {
    key: "lag",
    label: "Lag",
    numeric: true,
    cell: (row) => ("view" in row ? formatCount(sum(row.view, (p) => p.lag)) : "—"),
  },
];

function RowError({ row }: { row: Row }) {
  if (!("error" in row)) return null;
  const { code, message } = describeError(row.error);
  return (
    <span class="row-error" title={message}>
      <code>{code}</code>
      <span class="visually-hidden"> {message}</span>
    </span>
  );
}

function OpenById() {
  const [id, setId] = useState("");
  return (
    <form
      class="open-share-group"
      onSubmit={(event) => {
        event.preventDefault();
        if (id.trim() !== "") navigate(href(["share-groups", id.trim()]));
      }}
    >
      <label for="open-share-group">Open a share group by id</label>
      <div class="open-share-group-row">
        <input
          id="open-share-group"
          value={id}
          autocomplete="off"
          spellcheck={false}
          maxLength={255}
          onInput={(event) => setId(event.currentTarget.value)}
        />
        <Button type="submit">Open</Button>
      </div>
    </form>
  );
}

export function ShareGroupsScreen() {
  const { query } = route.value;
  const filter = (query.get("q") ?? "").slice(0, MAX_FILTER_CHARS);
  const page = Math.max(0, Number.parseInt(query.get("page") ?? "1", 10) - 1 || 0);
  const loaded = useResource(() => loadPage(filter, page), [filter, page]);
  const data = loaded.data;
  const go = (q: string, p: number): void => {
    const next: Record<string, string | number> = {};
    if (q !== "") next.q = q;
    if (p > 0) next.page = p + 1;
    navigate(href(["share-groups"], next), { replace: true });
  };
  const refused =
    loaded.error !== null && describeError(loaded.error).code === "CLUSTER_AUTHORIZATION_FAILED";
  return (
    <section class="screen">
      <ScreenHeader
        title="Share groups"
        actions={
          <Button onClick={loaded.reload} busy={loaded.loading && data !== undefined}>
            Refresh
          </Button>
        }
      >
        {data === undefined
          ? "Queues on topics: records taken by any member, acknowledged one by one"
          : filter === ""
            ? `${formatCount(data.total)} share group${data.total === 1 ? "" : "s"}`
            : `${formatCount(data.matching)} of ${formatCount(data.total)} share groups`}
      </ScreenHeader>
      <div class="toolbar">
        <div class="field">
          <label for="share-groups-filter">Filter by id</label>
          <input
            id="share-groups-filter"
            type="search"
            autocomplete="off"
            spellcheck={false}
            maxLength={MAX_FILTER_CHARS}
            placeholder="Part of an id"
            value={filter}
            onInput={(event) => go(event.currentTarget.value, 0)}
          />
        </div>
      </div>
      <ErrorBanner error={loaded.error} title="Could not list the share groups" onRetry={loaded.reload} />
      {refused ? (
        <p class="notice notice-info">
          Listing share groups needs <code>admin</code>; a group this token may read can be opened by id.
        </p>
      ) : null}
      {data === undefined ? (
        loaded.error === null ? (
          <Loading label="Loading share groups…" />
        ) : null
      ) : data.total === 0 ? (
        <Empty title="No share groups yet">
          <p>A share group appears when a share consumer first fetches with it, or its config is set.</p>
        </Empty>
      ) : data.rows.length === 0 ? (
        <Empty title={`No share group id contains “${filter}”`} />
      ) : (
        <>
          <Table
            caption="Share groups"
            class="share-groups-table"
            columns={COLUMNS}
            rows={data.rows}
            rowKey={(row) => row.group}
          />
          {data.pages > 1 ? (
            <nav class="pager" aria-label="Pages of share groups">
              <Button disabled={data.page === 0} onClick={() => go(filter, data.page - 1)}>
                Previous
              </Button>
              <span>
                Page {data.page + 1} of {data.pages}
              </span>
              <Button disabled={data.page >= data.pages - 1} onClick={() => go(filter, data.page + 1)}>
                Next
              </Button>
            </nav>
          ) : null}
        </>
      )}
      <div class="card">
        <OpenById />
      </div>
    </section>
  );
}
