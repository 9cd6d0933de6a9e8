/**
 * @module
 * Durable Streams (`#/streams`): the streams `/ds` created, each a topic, with what only the protocol knows —
 * content type, TTL and when it expires, closed or open, forks — from `GET /v1/streams` (an extension made for
 * this screen; docs/http-api.md "Listing streams"). The server examines topics a page at a time; "Load more"
 * continues where it stopped. Each stream links to its topic's messages.
 */
import { useEffect, useState } from "preact/hooks";
import { ErrorNote } from "../groups/error-note.tsx";
import { formatDuration, formatRelative } from "../groups/format.ts";
import { Pager, usePage } from "../groups/pager.tsx";
import { formatCount, formatTime } from "../ui/format.ts";
import "../groups/groups.css";
import { href } from "../router.ts";
import { api } from "../session.ts";

/** Topics the server examines per request (its maximum is 200). */
const TOPICS_PER_REQUEST = 100;
/** Requests one "Load more" makes at most while the pages it gets hold no stream. */
const MAX_REQUESTS_PER_LOAD = 5;
const ROWS_PER_PAGE = 100;
const MAX_FILTER_CHARS = 255;

/** One stream as `GET /v1/streams` lists it. */
export interface ListedStream {
  readonly path: string;
  readonly topic: string;
  readonly contentType: string;
  readonly closed: boolean;
  readonly ttlSeconds: number | null;
  readonly expiresAt: string | null;
  readonly expiresAtMs: number | null;
  readonly expired: boolean;
  readonly createdAt: number;
  readonly lastAccessedAt: number;
  readonly forkedFrom: string | null;
  readonly forks: number;
  readonly softDeleted: boolean;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

interface Listing {
  readonly streams: readonly ListedStream[];
  /** Where the next request starts; null when every topic was examined. */
  readonly next: string | null;
}

/** Pages from `after` until one holds a stream, the end, or `MAX_REQUESTS_PER_LOAD` requests. */
async function loadMore(after: string | null): Promise<Listing> {
  const streams: ListedStream[] = [];
  let next = after;
  for (let i = 0; i < MAX_REQUESTS_PER_LOAD; i++) {
    const query = new URLSearchParams({ limit: String(TOPICS_PER_REQUEST) });
    if (next !== null) query.set("after", next);
    const page = await api<Listing>(`/v1/streams?${query}`);
    streams.push(...page.streams);
    next = page.next;
    if (next === null || streams.length > 0) break;
  }
  return { streams, next };
}

function stateOf(stream: ListedStream): { label: string; detail?: string } {
  if (stream.softDeleted) return { label: "Deleted", detail: "kept while forks read it" };
  if (stream.expired) return { label: "Expired", detail: "deleted on its next request" };
  return stream.closed ? { label: "Closed" } : { label: "Open" };
}

function Expiry({ stream, nowMs }: { stream: ListedStream; nowMs: number }) {
  if (stream.expiresAtMs === null) return <span class="muted">never</span>;
  const exact = formatTime(stream.expiresAtMs);
  if (stream.expired) return <span title={exact}>expired</span>;
  return (
    <span title={stream.expiresAt === null ? `${exact} unless read or written before` : exact}>
      {formatRelative(stream.expiresAtMs, nowMs)}
    </span>
  );
}

function StreamsTable({ streams, nowMs }: { streams: readonly ListedStream[]; nowMs: number }) {
  const paged = usePage(streams, ROWS_PER_PAGE);
  return (
    <>
      <div class="table-wrap">
        <table class="data" id="streams">
          <thead>
            <tr>
              <th scope="col">Stream</th>
              <th scope="col">Content type</th>
              <th scope="col" class="num">
                Messages
              </th>
              <th scope="col">TTL</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col">Forks</th>
            </tr>
          </thead>
          <tbody>
            {paged.rows.map((s) => {
              const state = stateOf(s);
              return (
                <tr key={s.topic} data-path={s.path} data-topic={s.topic}>
                  <td>
                    <a class="id" href={href(["topics", s.topic, "messages"])}>
                      /ds/{s.path}
                    </a>
                    {s.topic === s.path ? null : <div class="muted small">topic {s.topic}</div>}
                  </td>
                  <td class="content-type">
                    <code>{s.contentType}</code>
                  </td>
                  <td class="num">{formatCount(s.highWatermark - s.logStartOffset)}</td>
                  <td class="ttl">
                    {s.ttlSeconds === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <span title="renewed by every read and write">
                        {formatDuration(s.ttlSeconds * 1000)}, sliding
                      </span>
                    )}
                  </td>
                  <td class="expires">
                    <Expiry stream={s} nowMs={nowMs} />
                  </td>
                  <td class="state">
                    <span class={`badge stream-${state.label.toLowerCase()}`} data-state={state.label}>
                      {state.label}
                    </span>
                    {state.detail === undefined ? null : <div class="muted small">{state.detail}</div>}
                  </td>
                  <td>
                    {s.forkedFrom === null ? null : (
                      <div>
                        fork of <code>{s.forkedFrom}</code>
                      </div>
                    )}
                    {s.forks > 0 ? (
                      <div>
                        {s.forks} fork{s.forks === 1 ? "" : "s"}
                      </div>
                    ) : null}
                    {s.forkedFrom === null && s.forks === 0 ? <span class="muted">—</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager label="streams" state={paged} />
    </>
  );
}

export function StreamsScreen() {
  const [listing, setListing] = useState<Listing | null>(null);
  const [loadedAt, setLoadedAt] = useState(Date.now());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [filter, setFilter] = useState("");
  const [generation, setGeneration] = useState(0);

  const load = async (from: Listing | null): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const more = await loadMore(from?.next ?? null);
      setListing({ streams: [...(from?.streams ?? []), ...more.streams], next: more.next });
      setLoadedAt(Date.now());
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  // `generation` is the Refresh button.
  useEffect(() => {
    void load(null);
  }, [generation]);

  const needle = filter.toLowerCase();
  const shown = (listing?.streams ?? []).filter(
    (s) => needle === "" || s.path.toLowerCase().includes(needle),
  );

  return (
    <section class="screen cg streams-screen">
      <header class="screen-head">
        <h1>Durable Streams</h1>
        <div class="toolbar">
          <label class="inline">
            Filter
            <input
              id="streams-filter"
              type="search"
              value={filter}
              placeholder="path contains…"
              maxLength={MAX_FILTER_CHARS}
              onInput={(e) => setFilter(e.currentTarget.value)}
            />
          </label>
          <button type="button" disabled={busy} onClick={() => setGeneration((g) => g + 1)}>
            Refresh
          </button>
        </div>
      </header>
      <p class="muted">
        Streams served at <code>/ds/…</code> (the Durable Streams protocol). Each is a one-partition topic;
        its messages are that topic's records.
      </p>
      {error === null ? null : <ErrorNote error={error} context="Could not list the streams" />}
      {listing === null ? (
        busy ? (
          <p class="muted">Loading…</p>
        ) : null
      ) : listing.streams.length === 0 && listing.next === null ? (
        <p class="muted" id="streams-empty">
          No streams yet. Create one with{" "}
          <code>curl -X PUT -H 'Content-Type: text/plain' {location.origin}/ds/my-stream</code>.
        </p>
      ) : (
        <>
          <p class="muted" id="streams-count">
            {filter === ""
              ? `${formatCount(listing.streams.length)} stream${listing.streams.length === 1 ? "" : "s"}`
              : `${formatCount(shown.length)} of ${formatCount(listing.streams.length)} streams match`}
            {listing.next === null ? "" : " so far"}
          </p>
          <StreamsTable streams={shown} nowMs={loadedAt} />
          {listing.next === null ? null : (
            <button type="button" id="streams-more" disabled={busy} onClick={() => void load(listing)}>
              Load more
            </button>
          )}
        </>
      )}
    </section>
  );
}
