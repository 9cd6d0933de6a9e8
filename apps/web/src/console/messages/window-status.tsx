/**
 * @module
 * What the Messages screen says about its record window: a bar at each edge of the list (loading, the log's start or
 * end, a filter's paused scan with "Continue", a read's error with "Retry", the live tail's state) and a summary
 * (records shown, what a filter scanned, how much was read in how many requests).
 */
import type { ComponentChildren } from "preact";
import type { TailState } from "./live-tail.ts";
import type { ReadStats } from "./partition-reader.ts";
import type { EdgeStatus, RecordWindow } from "./record-window.ts";

const count = (n: number) => n.toLocaleString("en-US");

function Bar({ edge, children }: { edge: "top" | "bottom"; children: ComponentChildren }) {
  return (
    <div class={`edge-bar ${edge}`} id={`edge-${edge}`}>
      {children}
    </div>
  );
}

function ErrorText({ status }: { status: EdgeStatus }) {
  return (
    <span class="form-error" role="alert">
      <strong>{status.error?.code}</strong>: {status.error?.message}
    </span>
  );
}

export function TopBar({ view }: { view: RecordWindow }) {
  const status = view.top;
  switch (status.state) {
    case "loading":
      return <Bar edge="top">{view.filtering ? "Scanning older records…" : "Loading older records…"}</Bar>;
    case "end":
      return <Bar edge="top">{view.records.length === 0 ? "" : "Start of the log."}</Bar>;
    case "error":
      return (
        <Bar edge="top">
          <ErrorText status={status} />
          <button type="button" class="small" onClick={() => void view.loadOlder()}>
            Retry
          </button>
        </Bar>
      );
    default:
      return (
        <Bar edge="top">
          <button type="button" class="small" id="load-older" onClick={() => void view.loadOlder()}>
            {status.state === "budget" ? "Continue scanning older records" : "Load older records"}
          </button>
        </Bar>
      );
  }
}

function tailText(state: TailState | null, paused: boolean): string {
  if (paused) return "Live tail paused: new records wait on the server, and arrive when you resume.";
  if (state === null || state.kind === "connecting") return "Connecting the live tail…";
  if (state.kind === "reconnecting") return "Live tail reconnecting…";
  if (state.kind === "live") {
    return state.via === "sse" ? "Following new records (SSE)." : "Following new records (long-poll).";
  }
  return "";
}

export function BottomBar(props: {
  view: RecordWindow;
  live: boolean;
  paused: boolean;
  tail: TailState | null;
}) {
  const { view, live, paused, tail } = props;
  const status = view.bottom;
  if (live) {
    return (
      <Bar edge="bottom">
        {tail?.kind === "error" ? (
          <span class="form-error" role="alert">
            Live tail stopped — <strong>{tail.error.code}</strong>: {tail.error.message}
          </span>
        ) : (
          <span id="tail-status" data-state={paused ? "paused" : (tail?.kind ?? "connecting")}>
            {!paused && tail?.kind === "live" && <span class="live-dot" aria-hidden="true" />}
            {tailText(tail, paused)}
          </span>
        )}
      </Bar>
    );
  }
  switch (status.state) {
    case "loading":
      return <Bar edge="bottom">{view.filtering ? "Scanning newer records…" : "Loading newer records…"}</Bar>;
    case "error":
      return (
        <Bar edge="bottom">
          <ErrorText status={status} />
          <button type="button" class="small" onClick={() => void view.loadNewer()}>
            Retry
          </button>
        </Bar>
      );
    case "end":
      return (
        <Bar edge="bottom">
          End of the log.{" "}
          <button type="button" class="small" id="check-newer" onClick={() => void view.loadNewer()}>
            Check for new records
          </button>
        </Bar>
      );
    default:
      return (
        <Bar edge="bottom">
          <button type="button" class="small" id="load-newer" onClick={() => void view.loadNewer()}>
            {status.state === "budget" ? "Continue scanning" : "Load newer records"}
          </button>
        </Bar>
      );
  }
}

export function Summary({ view, stats }: { view: RecordWindow; stats: ReadStats }) {
  const shown = view.records.length;
  const first = view.records[0];
  const last = view.records.at(-1);
  const range =
    first === undefined || last === undefined
      ? ""
      : first.partition === last.partition && view.records.every((r) => r.partition === first.partition)
        ? ` (offsets ${count(first.offset)}–${count(last.offset)})`
        : "";
  return (
    <p class="summary muted" id="window-summary">
      {view.filtering ? (
        <span id="scan-summary">
          Scanned {count(view.scanned)} records, {count(shown)} {shown === 1 ? "match" : "matches"}
          {view.top.state === "budget" || view.bottom.state === "budget" ? " — continue to scan further" : ""}
          .
        </span>
      ) : (
        <span>
          {count(shown)} {shown === 1 ? "record" : "records"} shown{range}.
        </span>
      )}{" "}
      <span id="read-stats">
        Read {count(stats.records)} records in {count(stats.requests)}{" "}
        {stats.requests === 1 ? "request" : "requests"}.
      </span>
    </p>
  );
}
