/**
 * @module
 * Consumer groups (`#/groups?q=&page=`): every group's id from `GET /v1/groups`, filtered by a substring and shown a
 * page at a time; only the groups on the page are described (state, members, epoch, total lag), so a deployment
 * with thousands of groups costs one listing and a page of descriptions per refresh. A token without `admin`
 * cannot list groups: the server's refusal is shown, and a group can still be opened by its id.
 */

import { useState } from "preact/hooks";
import { mapLimit } from "../map-limit.ts";
import { href, navigate, route } from "../router.ts";
import { describeError } from "../ui/errors.ts";
import { formatCount } from "../ui/format.ts";
import { ErrorNote } from "./error-note.tsx";
import { describeGroup, type GroupView, listGroups } from "./group-api.ts";
import { StateBadge } from "./state-badge.tsx";
import { usePoll } from "./use-poll.ts";
import "./groups.css";

const GROUPS_PER_PAGE = 25;
const DESCRIBES_IN_FLIGHT = 6;
const REFRESH_MS = 10_000;
/** A filter longer than any group id matches nothing; longer input is cut rather than sent around. */
const MAX_FILTER_CHARS = 255;

type Row = { readonly group: string } & ({ readonly view: GroupView } | { readonly error: unknown });

interface GroupsPage {
  readonly rows: readonly Row[];
  /** Groups matching the filter. */
  readonly matching: number;
  /** Groups in the deployment. */
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

const totalLag = (view: GroupView): number => view.offsets.reduce((sum, o) => sum + Math.max(0, o.lag), 0);

async function loadPage(filter: string, page: number): Promise<GroupsPage> {
  const all = (await listGroups()).sort();
  const needle = filter.toLowerCase();
  const matching = needle === "" ? all : all.filter((g) => g.toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(matching.length / GROUPS_PER_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const names = matching.slice(current * GROUPS_PER_PAGE, (current + 1) * GROUPS_PER_PAGE);
  const rows = await mapLimit(names, DESCRIBES_IN_FLIGHT, async (group): Promise<Row> => {
    try {
      return { group, view: await describeGroup(group) };
    } catch (error) {
      return { group, error };
    }
  });
  return { rows, matching: matching.length, total: all.length, page: current, pages };
}

function OpenById() {
  const [id, setId] = useState("");
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (id.trim() !== "") navigate(href(["groups", id.trim()]));
      }}
    >
      <label class="inline">
        Open a group by id
        <input value={id} onInput={(e) => setId(e.currentTarget.value)} autoComplete="off" maxLength={255} />
      </label>
      <button type="submit">Open</button>
    </form>
  );
}

export function GroupsScreen() {
  const { query } = route.value;
  const filter = (query.get("q") ?? "").slice(0, MAX_FILTER_CHARS);
  const page = Math.max(0, Number.parseInt(query.get("page") ?? "1", 10) - 1 || 0);
  const deleted = query.get("deleted");
  const polled = usePoll(() => loadPage(filter, page), REFRESH_MS, [filter, page], { keep: true });
  const data = polled.data;
  const go = (q: string, p: number): void => {
    const next: Record<string, string | number> = {};
    if (q !== "") next.q = q;
    if (p > 0) next.page = p + 1;
    navigate(href(["groups"], next), { replace: true });
  };

  return (
    <section class="screen cg groups-screen">
      <header class="screen-head">
        <h1>Consumer groups</h1>
        <div class="toolbar">
          <label class="inline">
            Filter
            <input
              id="groups-filter"
              type="search"
              value={filter}
              placeholder="group id contains…"
              maxLength={MAX_FILTER_CHARS}
              onInput={(e) => go(e.currentTarget.value, 0)}
            />
          </label>
          <button type="button" id="groups-refresh" onClick={polled.refresh}>
            Refresh
          </button>
        </div>
      </header>
      {deleted === null ? null : (
        <p class="notice success" role="status">
          Deleted group <span class="id">{deleted}</span>.
        </p>
      )}
      {polled.error === undefined ? null : (
        <ErrorNote error={polled.error} context="Could not list the groups" />
      )}
      {polled.error !== undefined && describeError(polled.error).code === "CLUSTER_AUTHORIZATION_FAILED" ? (
        <p class="muted">
          Listing groups needs the admin right; a group your token may read can be opened by id.
        </p>
      ) : null}
      {data === undefined ? (
        polled.loading ? (
          <p class="muted">Loading…</p>
        ) : null
      ) : data.total === 0 ? (
        <p class="muted" id="groups-empty">
          No consumer groups yet. A group appears when a consumer joins it or offsets are committed for it.
        </p>
      ) : (
        <>
          <p class="muted" id="groups-count">
            {filter === ""
              ? `${formatCount(data.total)} group${data.total === 1 ? "" : "s"}`
              : `${formatCount(data.matching)} of ${formatCount(data.total)} groups match`}
          </p>
          <div class="table-wrap">
            <table class="data" id="groups">
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">
                    Members
                  </th>
                  <th scope="col" class="num wide-only">
                    Epoch
                  </th>
                  <th scope="col" class="num">
                    Total lag
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((row) => (
                  <tr key={row.group} data-group={row.group}>
                    <td>
                      <a class="id" href={href(["groups", row.group])}>
                        {row.group}
                      </a>
                    </td>
                    {"view" in row ? (
                      <>
                        <td>
                          <StateBadge state={row.view.state} />
                        </td>
                        <td class="num members">{row.view.members.length}</td>
                        <td class="num wide-only">{row.view.groupEpoch}</td>
                        <td class="num lag">{formatCount(totalLag(row.view))}</td>
                      </>
                    ) : (
                      <td colSpan={4}>
                        <ErrorNote error={row.error} />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.pages > 1 ? (
            <nav class="pager" id="groups-pages" aria-label="Pages of groups">
              <button type="button" disabled={data.page === 0} onClick={() => go(filter, data.page - 1)}>
                Previous
              </button>
              <span>
                Page {data.page + 1} of {data.pages}
              </span>
              <button
                type="button"
                disabled={data.page >= data.pages - 1}
                onClick={() => go(filter, data.page + 1)}
              >
                Next
              </button>
            </nav>
          ) : null}
        </>
      )}
      <OpenById />
    </section>
  );
}
