/**
 * @module
 * Virtualised rows for long lists (10,000 topics, a million records): `@tanstack/virtual-core` computes which
 * rows are in view and this hook re-renders when that changes, so the DOM holds a screenful of rows whatever the
 * count. Rows may differ in height (cards on a phone, an expanded record): give each rendered row
 * `ref={virtualizer.measureElement}` and `data-index={item.index}` and it is measured.
 *
 * `scroll: "window"` scrolls with the page (the list's offset from the top is measured as `scrollMargin`); an
 * element ref scrolls inside that element (a live tail in a fixed-height pane).
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  observeWindowOffset,
  observeWindowRect,
  type VirtualItem,
  Virtualizer,
  type VirtualizerOptions,
  windowScroll,
} from "@tanstack/virtual-core";
import type { RefObject } from "preact";
import { useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";

export interface VirtualRowsOptions {
  readonly count: number;
  /** A row's height before it is measured. */
  readonly estimateSize: (index: number) => number;
  /** The page (`"window"`, default) or a scrolling element. */
  readonly scroll?: "window" | RefObject<HTMLElement | null>;
  /** Rows rendered beyond the visible ones on each side. Default 6. */
  readonly overscan?: number;
  /** A stable key per row (a topic's name), so measurements follow rows when the list is filtered. */
  readonly getItemKey?: (index: number) => string | number;
}

export interface VirtualRows {
  /** Put on the element that contains the rows (its offset sets where row 0 starts when scrolling the window). */
  readonly listRef: RefObject<HTMLElement | null>;
  readonly items: readonly VirtualItem[];
  /** Total height of all rows: the list element's height. */
  readonly totalSize: number;
  /** Where the list starts within the scroll area: subtract it from `item.start` when positioning rows. */
  readonly offset: number;
  /** Space above and below the rendered rows, for lists drawn in flow (a table's spacer rows). */
  readonly paddingTop: number;
  readonly paddingBottom: number;
  readonly virtualizer: Virtualizer<Element | Window, Element>;
}

type AnyVirtualizer = Virtualizer<Element | Window, Element>;
type AnyOptions = VirtualizerOptions<Element | Window, Element>;

export function useVirtualRows(options: VirtualRowsOptions): VirtualRows {
  const listRef = useRef<HTMLElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const onWindow = options.scroll === undefined || options.scroll === "window";
  const margin = onWindow ? (listRef.current?.getBoundingClientRect().top ?? 0) + window.scrollY : 0;
  const resolved = {
    count: options.count,
    estimateSize: options.estimateSize,
    overscan: options.overscan ?? 6,
    scrollMargin: margin,
    ...(options.getItemKey === undefined ? {} : { getItemKey: options.getItemKey }),
    getScrollElement: () => (onWindow ? window : (options.scroll as RefObject<HTMLElement | null>).current),
    observeElementRect: onWindow ? observeWindowRect : observeElementRect,
    observeElementOffset: onWindow ? observeWindowOffset : observeElementOffset,
    scrollToFn: onWindow ? windowScroll : elementScroll,
    onChange: () => rerender(0),
  } as unknown as AnyOptions;
  const [virtualizer] = useState<AnyVirtualizer>(() => new Virtualizer(resolved));
  virtualizer.setOptions(resolved);
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => {
    virtualizer._willUpdate();
  });
  const items = virtualizer.getVirtualItems();
  const totalSize = virtualizer.getTotalSize();
  const offset = virtualizer.options.scrollMargin;
  const first = items[0];
  const last = items[items.length - 1];
  return {
    listRef,
    items,
    totalSize,
    offset,
    paddingTop: first === undefined ? 0 : Math.max(0, first.start - offset),
    paddingBottom: last === undefined ? 0 : Math.max(0, totalSize - (last.end - offset)),
    virtualizer,
  };
}
