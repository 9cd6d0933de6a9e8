/**
 * @module
 * The Messages screen's controls: which partition, where to start (latest, earliest, an offset, a time), and the
 * filters (key exact / prefix, value substring / JSON path). Submitting turns them into a new hash query — a
 * history entry, so Back returns to the previous view — and a bad JSON path is shown here, before anything loads.
 */
import { EdgeLogError } from "@edgelog/core";
import { useState } from "preact/hooks";
import { type BrowseQuery, parseTime, type StartPosition } from "./browse-query.ts";
import { compileFilter, type FilterSpec, type KeyMatch, type ValueMatch } from "./record-filter.ts";

function startFrom(kind: string, offsetText: string, timeText: string): StartPosition {
  switch (kind) {
    case "earliest":
      return { kind: "earliest" };
    case "offset": {
      const offset = Number(offsetText.trim());
      if (offsetText.trim() === "" || !Number.isSafeInteger(offset) || offset < 0) {
        throw new EdgeLogError("INVALID_REQUEST", "The offset must be a whole number, 0 or more.");
      }
      return { kind: "offset", offset };
    }
    case "time": {
      const timestampMs = parseTime(timeText);
      if (timestampMs === null) {
        throw new EdgeLogError(
          "INVALID_TIMESTAMP",
          "The time must be a date like 2026-01-05T10:00:00 (local), 2026-01-05T10:00:00Z, or ms since 1970.",
        );
      }
      return { kind: "time", timestampMs };
    }
    default:
      return { kind: "latest" };
  }
}

/** A time input's text for `ms`: local, to the millisecond, in the form `parseTime` reads back. */
function localTimeText(ms: number): string {
  const local = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return local.toISOString().replace("Z", "");
}

export interface BrowseFormProps {
  readonly query: BrowseQuery;
  readonly partitions: number;
  readonly onSubmit: (query: BrowseQuery) => void;
}

export function BrowseForm({ query, partitions, onSubmit }: BrowseFormProps) {
  const [startKind, setStartKind] = useState<StartPosition["kind"]>(query.from.kind);
  const [error, setError] = useState<string | null>(null);

  function submit(event: Event): void {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? "");
    try {
      const filter: FilterSpec = {
        key: text("key"),
        keyMatch: text("keyMatch") as KeyMatch,
        value: text("value"),
        valueMatch: text("valueMatch") as ValueMatch,
      };
      compileFilter(filter);
      const partition = text("partition");
      setError(null);
      onSubmit({
        partition: partition === "all" ? null : Number(partition),
        from: startFrom(startKind, text("offset"), text("time")),
        filter,
        live: false,
      });
    } catch (failure) {
      setError(failure instanceof EdgeLogError ? failure.message : String(failure));
    }
  }

  const { filter, from } = query;
  return (
    <form id="browse-form" class="browse-form" onSubmit={submit} aria-label="Browse records">
      <label>
        Partition
        <select name="partition">
          <option value="all">All (by time)</option>
          {Array.from({ length: partitions }, (_, partition) => (
            <option key={partition} value={partition} selected={partition === query.partition}>
              {partition}
            </option>
          ))}
        </select>
      </label>
      <label>
        Start
        <select
          name="from"
          value={startKind}
          onChange={(event) => setStartKind(event.currentTarget.value as StartPosition["kind"])}
        >
          <option value="latest">Latest</option>
          <option value="earliest">Earliest</option>
          <option value="offset">Offset</option>
          <option value="time">Time</option>
        </select>
      </label>
      {startKind === "offset" && (
        <label>
          Offset
          <input
            name="offset"
            inputMode="numeric"
            autoComplete="off"
            required
            defaultValue={from.kind === "offset" ? String(from.offset) : ""}
          />
        </label>
      )}
      {startKind === "time" && (
        <label>
          Time
          <input
            name="time"
            autoComplete="off"
            required
            placeholder="2026-01-05T10:00:00"
            defaultValue={from.kind === "time" ? localTimeText(from.timestampMs) : ""}
          />
        </label>
      )}
      <label>
        Key
        <span class="input-pair">
          <input name="key" autoComplete="off" placeholder="any" defaultValue={filter.key} />
          <select name="keyMatch" aria-label="Key match">
            <option value="exact">is</option>
            <option value="prefix" selected={filter.keyMatch === "prefix"}>
              starts with
            </option>
          </select>
        </span>
      </label>
      <label class="grow">
        Value
        <span class="input-pair">
          <input
            name="value"
            autoComplete="off"
            spellcheck={false}
            placeholder="text, or $.user.id == 42"
            defaultValue={filter.value}
          />
          <select name="valueMatch" aria-label="Value match">
            <option value="text">contains</option>
            <option value="jsonpath" selected={filter.valueMatch === "jsonpath"}>
              JSON path
            </option>
          </select>
        </span>
      </label>
      <button type="submit" class="primary">
        Show
      </button>
      {error !== null && (
        <p class="form-error" role="alert" id="browse-error">
          {error}
        </p>
      )}
    </form>
  );
}
