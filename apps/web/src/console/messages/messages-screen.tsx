/**
 * @module
 * The Messages screen (`#/topics/{t}/messages?…`): browse a topic or one partition from the latest or earliest
 * record, an offset or a time; filter by key and value; open a record in full; follow new records live; produce
 * one. The hash query holds what is shown (browse-query.ts) and, once the person scrolls, where: a link reopens
 * the same place. The records come from a bounded window read a page at a time (record-window.ts) — never the log.
 */

import { EdgeLogError } from "@edgelog/core";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { href, navigate } from "../router.ts";
import { BrowseForm } from "./browse-form.tsx";
import { type BrowseQuery, browseQueryParams, parseBrowseQuery, sameSource } from "./browse-query.ts";
import type { ConsoleRecord } from "./console-record.ts";
import { LiveTail, type TailState } from "./live-tail.ts";
import { describePartitions, HttpPageReader, type PartitionBounds } from "./partition-reader.ts";
import { ProduceDialog } from "./produce-dialog.tsx";
import { RecordDetail } from "./record-detail.tsx";
import { compileFilter } from "./record-filter.ts";
import { RecordList, usePhoneLayout } from "./record-list.tsx";
import { RecordWindow } from "./record-window.ts";
import { BottomBar, Summary, TopBar } from "./window-status.tsx";
import "./messages.css";

/** "All partitions" merges reads of every partition per page: past this many, pick one. */
export const MAX_MERGED_PARTITIONS = 64;
/** How long scrolling must rest before the link follows it (replaceState is not free, and history is global). */
const POSITION_WRITE_MS = 400;

type Described =
  | { readonly state: "loading" }
  | { readonly state: "ready"; readonly partitions: readonly PartitionBounds[] }
  | { readonly state: "error"; readonly error: EdgeLogError };

type Loaded =
  | {
      readonly state: "ready";
      readonly recordWindow: RecordWindow;
      readonly reader: HttpPageReader;
      /** Tells one window's list from the next: a new window starts a new list (scroll, placement). */
      readonly generation: number;
    }
  | { readonly state: "refused"; readonly message: string };

function asError(error: unknown): EdgeLogError {
  return error instanceof EdgeLogError ? error : new EdgeLogError("UNKNOWN_SERVER_ERROR", String(error));
}

/** Following new records always starts from the end: a link with `live=1` ignores its start position. */
function effectiveQuery(query: BrowseQuery): BrowseQuery {
  return query.live ? { ...query, from: { kind: "latest" } } : query;
}

function messagesLink(topic: string, query: BrowseQuery): string {
  return href(["topics", topic, "messages"], browseQueryParams(query));
}

/** One line for the collapsed controls: what is shown. */
function describeQuery(query: BrowseQuery): string {
  const where = query.partition === null ? "All partitions" : `Partition ${query.partition}`;
  const from = {
    latest: "latest",
    earliest: "from the earliest",
    offset: query.from.kind === "offset" ? `from offset ${query.from.offset}` : "",
    time: query.from.kind === "time" ? `from ${new Date(query.from.timestampMs).toISOString()}` : "",
  }[query.from.kind];
  const filtered = query.filter.key !== "" || query.filter.value !== "" ? " · filtered" : "";
  return `${where} · ${query.live ? "live" : from}${filtered}`;
}

/** One screen per topic: another topic starts afresh (its partitions, window, tail and dialogs). */
export function MessagesScreen(props: { topic: string; query: URLSearchParams }) {
  return <TopicMessages key={props.topic} {...props} />;
}

function TopicMessages({ topic, query }: { topic: string; query: URLSearchParams }) {
  const phone = usePhoneLayout();
  const queryText = query.toString();
  const { query: requested, problems } = useMemo(() => parseBrowseQuery(query), [queryText]);
  const [described, setDescribed] = useState<Described>({ state: "loading" });
  const [, redraw] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    const abort = new AbortController();
    setDescribed({ state: "loading" });
    describePartitions(topic, abort.signal).then(
      (partitions) => setDescribed({ state: "ready", partitions }),
      (error) => abort.signal.aborted || setDescribed({ state: "error", error: asError(error) }),
    );
    return () => abort.abort();
  }, [topic]);

  // What the window loads follows the link, except where the link only caught up with the person's scrolling.
  const written = useRef<string | null>(null);
  const [source, setSource] = useState(() => effectiveQuery(requested));
  useEffect(() => {
    if (queryText === written.current) return;
    const next = effectiveQuery(requested);
    if (!sameSource(source, next)) setSource(next);
  }, [queryText]);

  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const generation = useRef(0);
  useEffect(() => {
    if (described.state !== "ready") return;
    const all = described.partitions;
    const chosen = source.partition === null ? all : all.filter((p) => p.partition === source.partition);
    let refusal: string | null = null;
    if (chosen.length === 0) {
      refusal = `Partition ${source.partition} does not exist: "${topic}" has ${all.length}.`;
    } else if (chosen.length > MAX_MERGED_PARTITIONS) {
      refusal = `"${topic}" has ${all.length} partitions: choose one to browse (all are merged up to ${MAX_MERGED_PARTITIONS}).`;
    }
    let filter: ReturnType<typeof compileFilter> = null;
    try {
      filter = compileFilter(source.filter);
    } catch (error) {
      refusal = asError(error).message;
    }
    if (refusal !== null) {
      setLoaded({ state: "refused", message: refusal });
      return;
    }
    const reader = new HttpPageReader(topic);
    const recordWindow = new RecordWindow({
      reader,
      partitions: chosen,
      filter,
      onChange: () => redraw(undefined),
    });
    generation.current++;
    setLoaded({ state: "ready", recordWindow, reader, generation: generation.current });
    void recordWindow.start(source.from);
    return () => recordWindow.dispose();
  }, [described, topic, JSON.stringify(source)]);

  const recordWindow = loaded?.state === "ready" ? loaded.recordWindow : undefined;
  const [paused, setPaused] = useState(false);
  const [tail, setTail] = useState<TailState | null>(null);
  const following = requested.live && !paused && recordWindow !== undefined;
  useEffect(() => {
    if (!following || recordWindow === undefined) return;
    let stopped = false;
    let live: LiveTail | undefined;
    void recordWindow.beginLive().then((from) => {
      if (stopped) return;
      live = new LiveTail({
        topic,
        from,
        onRecords: (partition, records, highWatermark) =>
          void recordWindow.appendLive(partition, records, highWatermark),
        onState: setTail,
      });
      live.start();
    });
    return () => {
      stopped = true;
      live?.stop();
      setTail(null);
    };
  }, [recordWindow, following, topic]);
  useEffect(() => setPaused(false), [requested.live]);

  const positionTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onTopRecord = useCallback(
    (record: ConsoleRecord) => {
      if (requested.live) return;
      clearTimeout(positionTimer.current);
      positionTimer.current = setTimeout(() => {
        const at: BrowseQuery = {
          ...requested,
          from:
            requested.partition === null
              ? { kind: "time", timestampMs: record.timestamp }
              : { kind: "offset", offset: record.offset },
        };
        const link = messagesLink(topic, at);
        written.current = new URLSearchParams(browseQueryParams(at)).toString();
        navigate(link, { replace: true });
      }, POSITION_WRITE_MS);
    },
    [topic, queryText],
  );
  useEffect(() => () => clearTimeout(positionTimer.current), []);

  const [selected, setSelected] = useState<ConsoleRecord | null>(null);
  const closeDetail = useCallback(() => setSelected(null), []);

  const partitionCount = described.state === "ready" ? described.partitions.length : 0;
  const show = (next: BrowseQuery) => navigate(messagesLink(topic, next));

  return (
    <section class="screen messages-screen" aria-labelledby="messages-title">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <a href={href(["topics"])}>Topics</a> / <a href={href(["topics", topic])}>{topic}</a> / Messages
      </nav>
      <div class="screen-head">
        <h1 id="messages-title">
          Messages <span class="muted">in {topic}</span>
        </h1>
        <div class="head-actions">
          {requested.live ? (
            <>
              <button type="button" id="pause-live" onClick={() => setPaused(!paused)} aria-pressed={paused}>
                {paused ? "Resume" : "Pause"}
              </button>
              <button type="button" id="stop-live" onClick={() => show({ ...requested, live: false })}>
                Stop following
              </button>
            </>
          ) : (
            <button
              type="button"
              id="follow-live"
              onClick={() => show({ ...requested, from: { kind: "latest" }, live: true })}
            >
              Follow live
            </button>
          )}
          {described.state === "ready" && (
            <ProduceDialog
              topic={topic}
              partitions={partitionCount}
              onWritten={() =>
                recordWindow?.bottom.state === "end" && !requested.live && void recordWindow.loadNewer()
              }
            />
          )}
        </div>
      </div>
      {described.state === "ready" && (
        <details class="browse-details" open={!phone}>
          <summary>{describeQuery(requested)}</summary>
          <BrowseForm key={queryText} query={requested} partitions={partitionCount} onSubmit={show} />
        </details>
      )}
      {problems.map((problem) => (
        <p class="banner-inline warning" key={problem}>
          {problem}
        </p>
      ))}
      {described.state === "loading" && <p class="muted">Loading {topic}…</p>}
      {described.state === "error" && (
        <p class="form-error" role="alert" id="messages-error">
          <strong>{described.error.code}</strong>: {described.error.message}
        </p>
      )}
      {loaded?.state === "refused" && (
        <p class="form-error" role="alert" id="messages-error">
          {loaded.message}
        </p>
      )}
      {loaded?.state === "ready" && (
        <>
          {loaded.recordWindow.notes.map((note) => (
            <p class="banner-inline warning" key={note}>
              {note}
            </p>
          ))}
          <Summary view={loaded.recordWindow} stats={loaded.reader.stats.value} />
          <div class="record-panel">
            <div
              class={`record-columns${source.partition === null ? " with-partition" : ""}`}
              aria-hidden="true"
            >
              {source.partition === null && <span>Part.</span>}
              <span>Offset</span>
              <span>Time</span>
              <span>Key</span>
              <span>Value</span>
            </div>
            {loaded.recordWindow.records.length === 0 && loaded.recordWindow.bottom.state !== "loading" && (
              <p class="empty muted" id="no-records">
                {loaded.recordWindow.filtering ? "No matching records yet." : "No records here yet."}
              </p>
            )}
            <RecordList
              key={loaded.generation}
              records={loaded.recordWindow.records}
              showPartition={source.partition === null}
              follow={requested.live}
              startAtEnd={source.from.kind === "latest"}
              onNearTop={(seen) => {
                const view = loaded.recordWindow;
                if (seen === view.records && view.top.state === "idle") void view.loadOlder();
              }}
              onNearBottom={(seen) => {
                const view = loaded.recordWindow;
                if (seen === view.records && !requested.live && view.bottom.state === "idle")
                  void view.loadNewer();
              }}
              onTopRecord={onTopRecord}
              onOpen={setSelected}
              top={<TopBar view={loaded.recordWindow} />}
              bottom={
                <BottomBar view={loaded.recordWindow} live={requested.live} paused={paused} tail={tail} />
              }
            />
          </div>
        </>
      )}
      {selected !== null && <RecordDetail topic={topic} record={selected} onClose={closeDetail} />}
    </section>
  );
}
