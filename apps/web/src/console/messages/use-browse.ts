/**
 * @module
 * The Messages screen's data: the topic's partitions (`GET /v1/topics/{t}`) and the record window of what the link
 * asks for, made anew when the link asks for something else — but not when the link only caught up with the
 * person's scrolling (`followScroll` writes the top row's position into it with a history replace).
 */
import type { EdgeLogError } from "@edgelog/core";
import { useCallback, useEffect, useReducer, useRef, useState } from "preact/hooks";
import { href, navigate } from "../router.ts";
import { asEdgeLogError } from "../ui/errors.ts";
import { type BrowseQuery, browseQueryParams, browseRefusal, sameSource } from "./browse-query.ts";
import type { ConsoleRecord } from "./console-record.ts";
import { describePartitions, HttpPageReader, type PartitionBounds } from "./partition-reader.ts";
import { compileFilter } from "./record-filter.ts";
import { RecordWindow } from "./record-window.ts";

/** How long scrolling must rest before the link follows it (history entries are rewritten, not free). */
const POSITION_WRITE_MS = 400;

export type Described =
  | { readonly state: "loading" }
  | { readonly state: "ready"; readonly partitions: readonly PartitionBounds[] }
  | { readonly state: "error"; readonly error: EdgeLogError };

export type Loaded =
  | {
      readonly state: "ready";
      readonly recordWindow: RecordWindow;
      readonly reader: HttpPageReader;
      /** What this window was opened for. */
      readonly source: BrowseQuery;
      /** Tells one window's list from the next: a new window starts a new list (scroll, placement). */
      readonly generation: number;
    }
  | { readonly state: "refused"; readonly message: string };

/** Following new records always starts from the end: a link with `live=1` ignores its start position. */
export function effectiveQuery(query: BrowseQuery): BrowseQuery {
  return query.live ? { ...query, from: { kind: "latest" } } : query;
}

export function messagesLink(topic: string, query: BrowseQuery): string {
  return href(["topics", topic, "messages"], browseQueryParams(query));
}

export function useBrowse(topic: string, requested: BrowseQuery, queryText: string) {
  const [described, setDescribed] = useState<Described>({ state: "loading" });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const abort = new AbortController();
    describePartitions(topic, abort.signal).then(
      (partitions) => setDescribed({ state: "ready", partitions }),
      (error) => abort.signal.aborted || setDescribed({ state: "error", error: asEdgeLogError(error) }),
    );
    return () => abort.abort();
  }, [topic]);

  // `source`: what the shown window stands for, moved along by the scroll (so a link back to where it was opened
  // is a change); `loads` counts the changes that need a new window.
  const source = useRef(effectiveQuery(requested));
  const written = useRef<string | null>(null);
  const [loads, setLoads] = useState(0);
  useEffect(() => {
    if (queryText === written.current) return;
    const next = effectiveQuery(requested);
    if (sameSource(source.current, next)) return;
    source.current = next;
    setLoads((n) => n + 1);
  }, [queryText]);

  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    if (described.state !== "ready") return;
    const opened = source.current;
    const refusal = browseRefusal(topic, described.partitions.length, opened.partition);
    let filter: ReturnType<typeof compileFilter> = null;
    try {
      filter = compileFilter(opened.filter);
    } catch (error) {
      setLoaded({ state: "refused", message: asEdgeLogError(error).message });
      return;
    }
    if (refusal !== null) {
      setLoaded({ state: "refused", message: refusal });
      return;
    }
    const reader = new HttpPageReader(topic);
    const partitions = described.partitions.filter(
      (p) => opened.partition === null || p.partition === opened.partition,
    );
    const recordWindow = new RecordWindow({ reader, partitions, filter, onChange: () => redraw(undefined) });
    setLoaded({ state: "ready", recordWindow, reader, source: opened, generation: loads });
    void recordWindow.start(opened.from);
    return () => recordWindow.dispose();
  }, [described, topic, loads]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  /** The person scrolled to `record`: the link (one partition: its offset; all: its time) follows, settled. */
  const followScroll = useCallback(
    (record: ConsoleRecord) => {
      if (requested.live) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        const at: BrowseQuery = {
          ...requested,
          from:
            requested.partition === null
              ? { kind: "time", timestampMs: record.timestamp }
              : { kind: "offset", offset: record.offset },
        };
        source.current = at;
        written.current = new URLSearchParams(browseQueryParams(at)).toString();
        navigate(messagesLink(topic, at), { replace: true });
      }, POSITION_WRITE_MS);
    },
    [topic, queryText],
  );

  return { described, loaded, followScroll };
}
