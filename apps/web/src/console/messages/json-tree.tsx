/**
 * @module
 * A collapsible view of a JSON value: objects and arrays are disclosure buttons (keyboard and screen-reader
 * friendly: `aria-expanded`), scalars are coloured by type. Open to `openDepth` levels at first; large containers
 * show their members a page at a time, so a 10,000-element array renders a hundred rows until asked for more.
 * Member names are rendered as text, whatever they are.
 */
import { useState } from "preact/hooks";

/** Members drawn per "show more". */
const MEMBERS_PAGE = 100;
/** "Expand all" opens this deep at most: a pathologically nested value cannot exhaust the stack. */
export const MAX_OPEN_DEPTH = 32;

interface NodeProps {
  readonly name: string | null;
  /** The name is an array index (drawn without quotes). */
  readonly index: boolean;
  readonly value: unknown;
  readonly depth: number;
  readonly openDepth: number;
}

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span class="json-null">null</span>;
  switch (typeof value) {
    case "string":
      return <span class="json-string">{JSON.stringify(value)}</span>;
    case "number":
      return <span class="json-number">{String(value)}</span>;
    case "boolean":
      return <span class="json-boolean">{String(value)}</span>;
    default:
      return <span>{String(value)}</span>;
  }
}

function Name({ name, index }: { name: string | null; index: boolean }) {
  if (name === null) return null;
  return <span class="json-name">{index ? `${name}: ` : `${JSON.stringify(name)}: `}</span>;
}

function JsonNode({ name, index, value, depth, openDepth }: NodeProps) {
  const [open, setOpen] = useState(depth < openDepth);
  const [shown, setShown] = useState(MEMBERS_PAGE);
  if (typeof value !== "object" || value === null) {
    return (
      <div class="json-row">
        <Name name={name} index={index} />
        <Scalar value={value} />
      </div>
    );
  }
  const isArray = Array.isArray(value);
  const entries: [string, unknown][] = isArray
    ? (value as unknown[]).map((member, at) => [String(at), member])
    : Object.entries(value);
  const [opening, closing] = isArray ? ["[", "]"] : ["{", "}"];
  const count = `${entries.length} ${isArray ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"}`;
  return (
    <div class="json-node">
      <button type="button" class="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span class="json-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <Name name={name} index={index} />
        {open ? opening : `${opening}…${closing}`}
        {!open && <span class="json-count"> {count}</span>}
      </button>
      {open && (
        <div class="json-members">
          {entries.slice(0, shown).map(([member, child]) => (
            <JsonNode
              key={member}
              name={member}
              index={isArray}
              value={child}
              depth={depth + 1}
              openDepth={openDepth}
            />
          ))}
          {entries.length > shown && (
            <button type="button" class="link-button" onClick={() => setShown(shown + MEMBERS_PAGE)}>
              Show {Math.min(MEMBERS_PAGE, entries.length - shown)} more of {entries.length - shown}
            </button>
          )}
        </div>
      )}
      {open && <div class="json-row">{closing}</div>}
    </div>
  );
}

/** The tree of `value`, with "Expand all" / "Collapse all" (which redraw it at a new depth). */
export function JsonTree({ value }: { value: unknown }) {
  const [view, setView] = useState({ openDepth: 2, generation: 0 });
  const container = typeof value === "object" && value !== null;
  return (
    <div class="json-tree">
      {container && (
        <div class="json-tools">
          <button
            type="button"
            class="small"
            onClick={() => setView({ openDepth: MAX_OPEN_DEPTH, generation: view.generation + 1 })}
          >
            Expand all
          </button>
          <button
            type="button"
            class="small"
            onClick={() => setView({ openDepth: 1, generation: view.generation + 1 })}
          >
            Collapse all
          </button>
        </div>
      )}
      <div class="json-root">
        <JsonNode
          key={view.generation}
          name={null}
          index={false}
          value={value}
          depth={0}
          openDepth={view.openDepth}
        />
      </div>
    </div>
  );
}
