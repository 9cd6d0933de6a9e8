/**
 * @module
 * Paging for the groups and streams tables: a group may have 1,000 members and its topics thousands of
 * partitions, and a deployment thousands of groups; the page draws one page of rows at a time, with Previous /
 * Next buttons and where it is ("101–200 of 1,340").
 */
import { useEffect, useState } from "preact/hooks";
import { formatCount } from "../ui/format.ts";

export function usePage<T>(items: readonly T[], pageSize: number) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  // A list that shrank (a filter, members leaving) keeps the page in range.
  useEffect(() => {
    if (page >= pages) setPage(pages - 1);
  }, [page, pages]);
  const current = Math.min(page, pages - 1);
  return {
    rows: items.slice(current * pageSize, (current + 1) * pageSize),
    page: current,
    pages,
    setPage,
    total: items.length,
    pageSize,
  };
}

export function Pager({
  label,
  state,
}: {
  /** What the rows are ("members"), for the buttons' accessible names. */
  label: string;
  state: { page: number; pages: number; setPage: (page: number) => void; total: number; pageSize: number };
}) {
  const { page, pages, setPage, total, pageSize } = state;
  if (pages <= 1) return null;
  const first = page * pageSize + 1;
  const last = Math.min(total, (page + 1) * pageSize);
  return (
    <nav class="pager" aria-label={`Pages of ${label}`}>
      <button
        type="button"
        disabled={page === 0}
        onClick={() => setPage(page - 1)}
        aria-label={`Previous ${label}`}
      >
        Previous
      </button>
      <span>
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)}
      </span>
      <button
        type="button"
        disabled={page >= pages - 1}
        onClick={() => setPage(page + 1)}
        aria-label={`Next ${label}`}
      >
        Next
      </button>
    </nav>
  );
}
