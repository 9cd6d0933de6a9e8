/**
 * @module
 * A data table from column definitions: a real `<table>` with a caption and `scope`d headers, scrolled sideways
 * inside its own box on a narrow screen rather than widening the page, and on a phone (≤ 640 px) drawn as one card
 * per row with each cell labelled by its column (the `data-label` the stylesheet shows).
 */
import type { ComponentChildren } from "preact";

export interface Column<R> {
  /** Stable key of the column. */
  readonly key: string;
  /** Header text; also the cell's label in the phone layout. */
  readonly label: string;
  readonly cell: (row: R) => ComponentChildren;
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean;
  /** Hidden from sighted users (an actions column), still read out. */
  readonly visuallyHiddenLabel?: boolean;
}

export interface TableProps<R> {
  /** Says what the table holds; visually hidden unless `showCaption`. */
  readonly caption: string;
  readonly showCaption?: boolean;
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
  readonly rowKey: (row: R) => string | number;
  /** Shown in place of the body when there are no rows. */
  readonly empty?: ComponentChildren;
  readonly class?: string;
}

export function Table<R>({
  caption,
  showCaption = false,
  columns,
  rows,
  rowKey,
  empty,
  class: extra,
}: TableProps<R>) {
  return (
    <div class={extra === undefined ? "table-wrap" : `table-wrap ${extra}`}>
      <table class="table">
        <caption class={showCaption ? "" : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.key} scope="col" class={column.numeric ? "num" : undefined}>
                {column.visuallyHiddenLabel ? (
                  <span class="visually-hidden">{column.label}</span>
                ) : (
                  column.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty !== undefined ? (
            <tr class="table-empty">
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column) => (
                  <td key={column.key} class={column.numeric ? "num" : undefined} data-label={column.label}>
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
