/**
 * @module
 * The Messages screen (`#/topics/{t}/messages?…`): browse a topic or one partition from the latest or earliest
 * record, an offset or a time; filter by key and value; open a record in full; follow new records live; produce
 * one. The hash query holds what is shown (browse-query.ts) and, once the person scrolls, where: a link reopens
 * the same place. The records come from a bounded window read a page at a time (record-window.ts) — never the log.
 */

import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { href, navigate } from "../router.ts";
import { BrowseForm } from "./browse-form.tsx";
import { type BrowseQuery, parseBrowseQuery } from "./browse-query.ts";
import type { ConsoleRecord } from "./console-record.ts";
import { ProduceDialog } from "./produce-dialog.tsx";
import { RecordDetail } from "./record-detail.tsx";
import { RecordList, usePhoneLayout } from "./record-list.tsx";
import { messagesLink, useBrowse } from "./use-browse.ts";
import { useLiveTail } from "./use-live-tail.ts";
import { BottomBar, Summary, TopBar } from "./window-status.tsx";
import "./messages.css";

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
  const { described, loaded, followScroll } = useBrowse(topic, requested, queryText);
  const recordWindow = loaded?.state === "ready" ? loaded.recordWindow : undefined;
  const [paused, setPaused] = useState(false);
  useEffect(() => setPaused(false), [requested.live]);
  const tail = useLiveTail(topic, recordWindow, requested.live && !paused);

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
              class={`record-columns${loaded.source.partition === null ? " with-partition" : ""}`}
              aria-hidden="true"
            >
              {loaded.source.partition === null && <span>Part.</span>}
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
              showPartition={loaded.source.partition === null}
              follow={requested.live}
              startAt={loaded.recordWindow.startAt}
              onNearTop={(seen) => {
                const view = loaded.recordWindow;
                if (seen === view.records && view.top.state === "idle") void view.loadOlder();
              }}
              onNearBottom={(seen) => {
                const view = loaded.recordWindow;
                if (seen === view.records && !requested.live && view.bottom.state === "idle")
                  void view.loadNewer();
              }}
              onTopRecord={followScroll}
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
