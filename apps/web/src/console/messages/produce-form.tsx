/**
 * @module
 * "Produce a record": key, value (JSON or text), headers (rows to add and remove, at most the server's 32), and a
 * partition (automatic — by the key's hash, as Kafka's client — or a number). It posts one record to
 * `POST /v1/topics/{t}/records` and shows where it landed, with a link to it, or the server's code and message.
 * A value that is not JSON, or a header named twice, is refused before anything is sent.
 */
import { EdgeLogError, RECORD_CAPS } from "@edgelog/core";
import { useRef, useState } from "preact/hooks";
import { href } from "../router.ts";
import { api } from "../session.ts";
import { asEdgeLogError } from "../ui/errors.ts";
import { produceBody, type ValueKind } from "./produce-body.ts";

interface HeaderRow {
  readonly id: number;
  name: string;
  value: string;
}

type Outcome =
  | { readonly state: "idle" }
  | { readonly state: "sending" }
  | { readonly state: "written"; readonly partition: number; readonly offset: number }
  | { readonly state: "refused"; readonly error: EdgeLogError };

interface ProduceAnswer {
  readonly offsets: readonly { partition: number; offset: number }[];
}

export function ProduceForm(props: { topic: string; partitions: number; onWritten?: () => void }) {
  const { topic, partitions } = props;
  const [kind, setKind] = useState<ValueKind>("json");
  const [rows, setRows] = useState<HeaderRow[]>([]);
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" });
  const nextRow = useRef(0);

  function addRow(): void {
    if (rows.length >= RECORD_CAPS.maxHeaders) return;
    setRows([...rows, { id: nextRow.current++, name: "", value: "" }]);
  }

  function updateRow(id: number, field: "name" | "value", text: string): void {
    setRows(rows.map((row) => (row.id === id ? { ...row, [field]: text } : row)));
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const partitionText = String(form.get("partition") ?? "auto");
    try {
      const body = produceBody({
        key: String(form.get("key") ?? ""),
        value: String(form.get("value") ?? ""),
        kind,
        headers: rows,
        partition: partitionText === "auto" ? null : Number(partitionText),
      });
      setOutcome({ state: "sending" });
      const answer = await api<ProduceAnswer>(`/v1/topics/${encodeURIComponent(topic)}/records`, { body });
      const [written] = answer.offsets;
      if (written === undefined)
        throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "the server assigned no offset");
      setOutcome({ state: "written", ...written });
      props.onWritten?.();
    } catch (error) {
      setOutcome({
        state: "refused",
        error: asEdgeLogError(error),
      });
    }
  }

  return (
    <form id="produce-form" class="produce-form" onSubmit={(event) => void submit(event)}>
      <div class="field-row">
        <label>
          Key
          <input name="key" type="text" autoComplete="off" placeholder="none" />
        </label>
        <label>
          Partition
          <select name="partition">
            <option value="auto">Automatic (by key)</option>
            {Array.from({ length: partitions }, (_, partition) => (
              <option key={partition} value={partition}>
                {partition}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset class="segmented-field">
        <legend>Value</legend>
        <fieldset class="segmented" aria-label="Value format">
          {(["json", "text"] as const).map((candidate) => (
            <button
              key={candidate}
              type="button"
              aria-pressed={kind === candidate}
              onClick={() => setKind(candidate)}
            >
              {candidate === "json" ? "JSON" : "Text"}
            </button>
          ))}
        </fieldset>
        <textarea
          name="value"
          aria-label="Value"
          rows={6}
          spellcheck={false}
          placeholder={kind === "json" ? '{ "id": 1 }' : "any text"}
        />
      </fieldset>
      <fieldset>
        <legend>Headers</legend>
        {rows.map((row, index) => (
          <div class="header-row" key={row.id}>
            <input
              aria-label={`Header ${index + 1} name`}
              class="header-name"
              placeholder="name"
              value={row.name}
              onInput={(event) => updateRow(row.id, "name", event.currentTarget.value)}
            />
            <input
              aria-label={`Header ${index + 1} value`}
              class="header-value"
              placeholder="value"
              value={row.value}
              onInput={(event) => updateRow(row.id, "value", event.currentTarget.value)}
            />
            <button
              type="button"
              class="icon-button"
              aria-label={`Remove header ${index + 1}`}
              onClick={() => setRows(rows.filter((other) => other.id !== row.id))}
            >
              ✕
            </button>
          </div>
        ))}
        <button type="button" class="small" onClick={addRow} disabled={rows.length >= RECORD_CAPS.maxHeaders}>
          Add header
        </button>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={outcome.state === "sending"}>
          Produce
        </button>
        <output id="produce-result" aria-live="polite">
          {outcome.state === "written" && (
            <>
              Written to partition <strong>{outcome.partition}</strong> at offset{" "}
              <strong>{outcome.offset}</strong>.{" "}
              <a
                href={href(["topics", topic, "messages"], {
                  partition: outcome.partition,
                  from: "offset",
                  offset: outcome.offset,
                })}
              >
                Show it
              </a>
            </>
          )}
        </output>
      </div>
      {outcome.state === "refused" && (
        <p class="form-error" role="alert" id="produce-error">
          <strong>{outcome.error.code}</strong>: {outcome.error.message}
        </p>
      )}
    </form>
  );
}
