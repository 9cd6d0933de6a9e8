/**
 * @module
 * One record in full, in a modal `<dialog>` (Escape closes it and focus returns to the row): where it is, its
 * time (local and ISO), key, headers and value — JSON as a collapsible tree or text, text as text, and any value's
 * exact bytes as hex or base64 — with "Copy as JSON" and a link that reopens the screen at this record.
 */
import type { EdgeLogError } from "@edgelog/core";
import { useEffect, useRef, useState } from "preact/hooks";
import { href } from "../router.ts";
import { type ConsoleRecord, formatOf, jsonText } from "./console-record.ts";
import { copyText, recordAsJson } from "./copy-record.ts";
import { JsonTree } from "./json-tree.tsx";
import { base64ToBytes, bytesToBase64, fetchValueBytes, hexDump, MAX_SHOWN_BYTES } from "./value-bytes.ts";

type ValueView = "tree" | "text" | "hex" | "base64";

const VIEW_LABELS: Record<ValueView, string> = { tree: "Tree", text: "Text", hex: "Hex", base64: "Base64" };

function viewsOf(record: ConsoleRecord): ValueView[] {
  switch (formatOf(record)) {
    case "json":
      return ["tree", "text", "hex", "base64"];
    case "text":
      return ["text", "hex", "base64"];
    case "base64":
      return ["hex", "base64"];
  }
}

export function formatTime(timestamp: number): { local: string; iso: string } {
  const date = new Date(timestamp);
  return {
    local: date.toLocaleString(undefined, {
      dateStyle: "medium",
      timeStyle: "medium",
      hourCycle: "h23",
    }),
    iso: date.toISOString(),
  };
}

type Bytes =
  | { state: "loading" }
  | { state: "ready"; bytes: Uint8Array | null }
  | { state: "error"; error: EdgeLogError };

function BytesView({
  topic,
  record,
  view,
}: {
  topic: string;
  record: ConsoleRecord;
  view: "hex" | "base64";
}) {
  const [bytes, setBytes] = useState<Bytes>(() =>
    record.valueFormat === "base64"
      ? { state: "ready", bytes: base64ToBytes(record.value as string) }
      : { state: "loading" },
  );
  useEffect(() => {
    if (bytes.state !== "loading") return;
    let current = true;
    fetchValueBytes(topic, record.partition, record.offset).then(
      (value) => current && setBytes({ state: "ready", bytes: value }),
      (error: EdgeLogError) => current && setBytes({ state: "error", error }),
    );
    return () => {
      current = false;
    };
  }, [topic, record, bytes.state]);
  if (bytes.state === "loading") return <p class="muted">Reading the stored bytes…</p>;
  if (bytes.state === "error") {
    return (
      <p class="form-error" role="alert">
        {bytes.error.code}: {bytes.error.message}
      </p>
    );
  }
  if (bytes.bytes === null) return <p class="muted">No value (a tombstone).</p>;
  const { length } = bytes.bytes;
  const text =
    view === "hex" ? hexDump(bytes.bytes) : bytesToBase64(bytes.bytes.subarray(0, MAX_SHOWN_BYTES));
  return (
    <>
      <p class="muted">
        {length.toLocaleString()} bytes, exactly as stored
        {length > MAX_SHOWN_BYTES ? ` (the first ${MAX_SHOWN_BYTES.toLocaleString()} shown)` : ""}.
      </p>
      <pre class="value-text" data-view={view}>
        {text}
      </pre>
    </>
  );
}

function ValueSection({ topic, record }: { topic: string; record: ConsoleRecord }) {
  const views = viewsOf(record);
  const [view, setView] = useState<ValueView>(views[0] as ValueView);
  const tombstone = record.value === null && record.valueFormat === undefined;
  const format = formatOf(record);
  return (
    <section aria-labelledby="record-value-title">
      <div class="section-head">
        <h3 id="record-value-title">
          Value <span class="badge">{tombstone ? "tombstone" : format === "base64" ? "binary" : format}</span>
        </h3>
        {!tombstone && (
          <fieldset class="segmented" aria-label="Show the value as">
            {views.map((candidate) => (
              <button
                key={candidate}
                type="button"
                aria-pressed={candidate === view}
                onClick={() => setView(candidate)}
              >
                {VIEW_LABELS[candidate]}
              </button>
            ))}
          </fieldset>
        )}
      </div>
      {tombstone ? (
        <p class="muted">No value: this record is a tombstone (null).</p>
      ) : view === "tree" ? (
        <JsonTree value={record.value} />
      ) : view === "text" ? (
        <pre class="value-text" data-view="text">
          {format === "json" ? jsonText(record.value, 2) : (record.value as string)}
        </pre>
      ) : (
        <BytesView key={view} topic={topic} record={record} view={view} />
      )}
    </section>
  );
}

function Headers({ headers }: { headers: Readonly<Record<string, string | null>> }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p class="muted">No headers.</p>;
  return (
    <table class="headers-table">
      <thead>
        <tr>
          <th scope="col">Header</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <td class="mono">{name}</td>
            <td class="mono">{value === null ? <span class="muted">null</span> : value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type CopyState = { state: "idle" } | { state: "copied" } | { state: "manual"; text: string };

export function RecordDetail(props: { topic: string; record: ConsoleRecord; onClose: () => void }) {
  const { topic, record, onClose } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const [copy, setCopy] = useState<CopyState>({ state: "idle" });
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (!element.open) element.showModal();
    element.addEventListener("close", onClose);
    return () => element.removeEventListener("close", onClose);
  }, [onClose]);
  const time = formatTime(record.timestamp);

  async function copyJson(): Promise<void> {
    const text = recordAsJson(topic, record);
    setCopy((await copyText(text)) ? { state: "copied" } : { state: "manual", text });
  }

  return (
    <dialog ref={dialog} class="record-dialog" aria-labelledby="record-title">
      <header class="dialog-head">
        <h2 id="record-title">
          Partition {record.partition} · offset {record.offset.toLocaleString()}
        </h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </header>
      <div class="dialog-body">
        <div class="record-actions">
          <button type="button" id="copy-record" onClick={() => void copyJson()}>
            Copy as JSON
          </button>
          <a
            href={href(["topics", topic, "messages"], {
              partition: record.partition,
              from: "offset",
              offset: record.offset,
            })}
            onClick={() => dialog.current?.close()}
          >
            Link to this record
          </a>
          <span class="copy-status" role="status">
            {copy.state === "copied" ? "Copied to the clipboard." : ""}
          </span>
        </div>
        {copy.state === "manual" && (
          <label class="manual-copy">
            The browser did not allow copying: select this text and copy it.
            <textarea readOnly rows={6} value={copy.text} />
          </label>
        )}
        <dl class="record-fields">
          <dt>Timestamp</dt>
          <dd>
            <time dateTime={time.iso}>{time.local}</time> <span class="mono muted">{time.iso}</span>{" "}
            <span class="mono muted">({record.timestamp})</span>
          </dd>
          <dt>Key</dt>
          <dd class="mono record-key">
            {record.key === null ? <span class="muted">null (no key)</span> : record.key}
            {record.keyFormat === "base64" && <span class="badge">binary, base64</span>}
          </dd>
        </dl>
        <section aria-labelledby="record-headers-title">
          <h3 id="record-headers-title">Headers</h3>
          <Headers headers={record.headers} />
        </section>
        <ValueSection topic={topic} record={record} />
      </div>
    </dialog>
  );
}
