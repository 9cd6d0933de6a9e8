/**
 * @module
 * The records as a virtualised list (`@tanstack/virtual-core`): only the rows on screen exist in the DOM, so a
 * window of thousands scrolls like one of ten. Rows have one fixed height per layout (wide or phone), which keeps
 * the virtualiser exact; it anchors on the row at the top (`anchorTo: "end"`, keyed by partition:offset), so a
 * page added above or cut away leaves what the person reads where it was, and it follows new rows while the
 * person is at the bottom (the live tail). Nearing either edge asks the screen for the next page there.
 * Rows are buttons: Tab or the arrow keys move between them, Enter opens the record.
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
  type VirtualizerOptions,
} from "@tanstack/virtual-core";
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import { type ConsoleRecord, formatOf, jsonText, recordKey } from "./console-record.ts";

/** Row heights in px; styles.css (`.record-row`) draws exactly these. */
export const ROW_PX = 34;
export const PHONE_ROW_PX = 58;
/** The bars above the first row and below the last (loading, the log's start or end); styles.css matches it. */
export const EDGE_PX = 40;
const PHONE_QUERY = "(max-width: 640px)";
/** Rows from an edge at which the next page there is asked for. */
const EDGE_ROWS = 20;
/** Characters of a value shown in its row; the whole value is in the record's dialog. */
const PREVIEW_CHARS = 240;

type ListVirtualizer = Virtualizer<HTMLDivElement, HTMLElement>;

function useVirtualizer(
  options: Omit<VirtualizerOptions<HTMLDivElement, HTMLElement>, "onChange">,
): ListVirtualizer {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const resolved = { ...options, onChange: () => redraw(undefined) };
  const [instance] = useState(() => new Virtualizer(resolved));
  instance.setOptions(resolved);
  useLayoutEffect(() => instance._didMount(), [instance]);
  useLayoutEffect(() => instance._willUpdate());
  return instance;
}

/** Whether the screen is phone-narrow (the list's two-line rows, the screen's collapsed controls). */
export function usePhoneLayout(): boolean {
  const [phone, setPhone] = useState(() => matchMedia(PHONE_QUERY).matches);
  useEffect(() => {
    const query = matchMedia(PHONE_QUERY);
    const changed = () => setPhone(query.matches);
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }, []);
  return phone;
}

/** One line of a value: JSON compact, text as is, binary named by its size. */
export function valuePreview(record: ConsoleRecord): string {
  switch (formatOf(record)) {
    case "json":
      return record.value === null ? "null (tombstone)" : jsonText(record.value).slice(0, PREVIEW_CHARS);
    case "text":
      return (record.value as string).slice(0, PREVIEW_CHARS);
    case "base64":
      return `binary, ${Math.floor(((record.value as string).length * 3) / 4).toLocaleString()} bytes`;
  }
}

function timeOf(timestamp: number): string {
  const date = new Date(timestamp);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export interface RecordListProps {
  readonly records: readonly ConsoleRecord[];
  readonly showPartition: boolean;
  /** Keep the newest row in view as rows arrive (while the person is at the bottom). */
  readonly follow: boolean;
  /**
   * Where the view starts once the first pages are in: `"end"` (the newest records), the key of the record asked
   * for (at the top), or `null` while they are still loading.
   */
  readonly startAt: "end" | string | null;
  /**
   * The view is near the first or last of `seen` (the records it was drawn with; effects run after paint, so the
   * window may have grown since — a screen loads only when `seen` is still its latest).
   */
  readonly onNearTop: (seen: readonly ConsoleRecord[]) => void;
  readonly onNearBottom: (seen: readonly ConsoleRecord[]) => void;
  /** The row at the top of the view changed because the person scrolled (for the link's position). */
  readonly onTopRecord: (record: ConsoleRecord) => void;
  readonly onOpen: (record: ConsoleRecord) => void;
  /** What is above the first record (loading, the start of the log, "continue scanning"). */
  readonly top: ComponentChildren;
  /** What is below the last one. */
  readonly bottom: ComponentChildren;
}

export function RecordList(props: RecordListProps) {
  const { records, showPartition } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const phone = usePhoneLayout();
  const rowPx = phone ? PHONE_ROW_PX : ROW_PX;
  const userScrolled = useRef(false);
  const virtualizer = useVirtualizer({
    count: records.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowPx,
    getItemKey: (index) => recordKey(records[index] as ConsoleRecord),
    overscan: 12,
    paddingStart: EDGE_PX,
    paddingEnd: EDGE_PX,
    anchorTo: "end",
    followOnAppend: props.follow,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
  });

  // A new row height (phone ⇄ wide) keeps the row that was at the top (as the last layout drew it) there.
  const laidOut = useRef(rowPx);
  const topIndex = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (laidOut.current === rowPx) return;
    laidOut.current = rowPx;
    virtualizer.measure();
    if (topIndex.current !== undefined) virtualizer.scrollToIndex(topIndex.current, { align: "start" });
  }, [virtualizer, rowPx]);

  // The view starts at the end or at the record asked for, once; until then no edge is one to load at.
  const placed = useRef(false);
  const settling = !placed.current;
  useEffect(() => {
    if (placed.current || props.startAt === null) return;
    placed.current = true;
    if (props.startAt === "end") virtualizer.scrollToEnd();
    else {
      const index = records.findIndex((record) => recordKey(record) === props.startAt);
      virtualizer.scrollToIndex(Math.max(0, index), { align: "start" });
    }
  });

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index;
  const last = items.at(-1)?.index;
  // Rows added above move the view only once the virtualiser anchors it: the range drawn with them is stale.
  const firstKey = records.length === 0 ? undefined : recordKey(records[0] as ConsoleRecord);
  const checkedFirst = useRef(firstKey);
  useEffect(() => {
    const prepended = checkedFirst.current !== firstKey;
    checkedFirst.current = firstKey;
    if (settling || prepended || first === undefined || last === undefined) return;
    if (first < EDGE_ROWS) props.onNearTop(records);
    if (last >= records.length - EDGE_ROWS) props.onNearBottom(records);
  });

  // The top row (the first whose top is in view), once the person scrolled: what a link should reopen.
  const atOffset =
    virtualizer.scrollOffset === null
      ? undefined
      : virtualizer.getVirtualItemForOffset(virtualizer.scrollOffset);
  const top =
    atOffset !== undefined && atOffset.start < (virtualizer.scrollOffset ?? 0) - 1
      ? (items.find((item) => item.index === atOffset.index + 1) ?? atOffset)
      : atOffset;
  const topRecord = top === undefined ? undefined : records[top.index];
  useEffect(() => {
    if (userScrolled.current && topRecord !== undefined) props.onTopRecord(topRecord);
  }, [topRecord]);
  useEffect(() => {
    if (laidOut.current === rowPx) topIndex.current = top?.index;
  });

  function focusRow(index: number): void {
    if (index < 0 || index >= records.length) return;
    virtualizer.scrollToIndex(index, { align: "auto" });
    requestAnimationFrame(() =>
      scroller.current?.querySelector<HTMLElement>(`[data-index="${index}"]`)?.focus(),
    );
  }

  function onKeyDown(event: KeyboardEvent, index: number): void {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    const move = Object.hasOwn(moves, event.key) ? moves[event.key] : undefined;
    if (move === undefined) return;
    event.preventDefault();
    userScrolled.current = true;
    focusRow(Math.min(records.length - 1, Math.max(0, index + move)));
  }

  // What only a person does to the list (the virtualiser's own scrolling fires none of these).
  useEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    const mark = (event: Event) => {
      // A press on the scroller itself is on its scrollbar; a press on a row is a click, not a scroll.
      if (event.type !== "pointerdown" || event.target === element) userScrolled.current = true;
    };
    const events = ["wheel", "touchmove", "pointerdown"] as const;
    for (const name of events) element.addEventListener(name, mark, { passive: true });
    return () => {
      for (const name of events) element.removeEventListener(name, mark);
    };
  }, []);

  const total = virtualizer.getTotalSize();
  return (
    <div ref={scroller} class={`record-scroller${showPartition ? " with-partition" : ""}`}>
      <div class="record-sizer" style={{ height: `${total}px` }}>
        <div class="edge-slot">{props.top}</div>
        <ul class="record-items" aria-label="Records">
          {items.map((item) => {
            const record = records[item.index] as ConsoleRecord;
            return (
              <li
                key={item.key as string}
                class="record-item"
                style={{ transform: `translateY(${item.start}px)`, height: `${item.size}px` }}
              >
                <button
                  type="button"
                  class="record-row"
                  data-index={item.index}
                  data-partition={record.partition}
                  data-offset={record.offset}
                  onClick={() => props.onOpen(record)}
                  onKeyDown={(event) => onKeyDown(event, item.index)}
                >
                  {showPartition && <span class="cell partition">p{record.partition}</span>}
                  <span class="cell offset">{record.offset}</span>
                  <span class="cell time">{timeOf(record.timestamp)}</span>
                  <span class="cell key">{record.key ?? "—"}</span>
                  <span class="cell value">{valuePreview(record)}</span>
                </button>
              </li>
            );
          })}
        </ul>
        <div class="edge-slot" style={{ transform: `translateY(${total - EDGE_PX}px)` }}>
          {props.bottom}
        </div>
      </div>
    </div>
  );
}
