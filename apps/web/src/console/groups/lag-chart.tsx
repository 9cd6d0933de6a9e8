/**
 * @module
 * The group's total lag over time, drawn by uPlot (a 50 KB canvas chart that redraws hundreds of points in
 * well under a millisecond: the right size for a chart that updates on every poll). uPlot is loaded when the
 * first chart is drawn, not with the console, so the other screens do not pay for it. Its colours are the
 * console's CSS variables, read when the chart is built and again when the OS switches between light and dark.
 * The canvas is a picture; the sentence under it says the same in words for screen readers and tests.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { theme } from "../theme.ts";
import { formatCount } from "../ui/format.ts";
import type { LagHistory } from "./lag-history.ts";

const CHART_HEIGHT_PX = 220;

/** uPlot's module, fetched once on first use (its own chunk). */
let uPlotLoading: Promise<typeof uPlot> | undefined;
const loadUPlot = (): Promise<typeof uPlot> => {
  uPlotLoading ??= import("uplot").then((module) => module.default);
  return uPlotLoading;
};
const DARK = "(prefers-color-scheme: dark)";

/**
 * A theme colour as the canvas needs it: resolved for the page's colour scheme (the variables are `light-dark()`
 * pairs, which only an element's computed style resolves), as `rgb(…)`.
 */
function themeColor(name: string, fallback: string): string {
  const probe = document.createElement("span");
  probe.style.color = `var(${name}, ${fallback})`;
  document.body.append(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color === "" ? fallback : color;
}

/** An `rgb(r, g, b)` colour at the given opacity; other colour forms get no fill (still readable). */
function translucent(color: string, alpha: number): string | undefined {
  const channels = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(color);
  return channels === null ? undefined : `rgba(${channels[1]}, ${channels[2]}, ${channels[3]}, ${alpha})`;
}

function chartOptions(width: number): uPlot.Options {
  const accent = themeColor("--accent", "#2563eb");
  const muted = themeColor("--muted", "#5b6470");
  const border = themeColor("--border", "#e2e5ea");
  const fill = translucent(accent, 0.15);
  const axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
  return {
    width,
    height: CHART_HEIGHT_PX,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      // Lag is a count from zero; an idle group (all zeros) still gets a visible axis.
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
    },
    series: [
      {},
      {
        label: "Total lag",
        stroke: accent,
        width: 2,
        ...(fill === undefined ? {} : { fill }),
        points: { show: false },
      },
    ],
    axes: [axis, { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => formatCount(t)) }],
  };
}

export function LagChart({ history, version }: { history: LagHistory; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const [osDark, setOsDark] = useState(() => matchMedia(DARK).matches);
  // The toggle's choice, or the OS's setting (reading the signal re-renders this on a toggle).
  const scheme = theme.value === "system" ? (osDark ? "dark" : "light") : theme.value;
  const [failed, setFailed] = useState<string | null>(null);
  /** The scheme whose colours the drawn chart has (for people's tools and tests alike). */
  const [drawnFor, setDrawnFor] = useState<string | null>(null);

  useEffect(() => {
    const query = matchMedia(DARK);
    const onChange = (): void => setOsDark(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);

  // Built once per colour scheme; data updates below do not rebuild it.
  // `scheme` changes the colours the options read.
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    let plot: uPlot | null = null;
    let resize: ResizeObserver | null = null;
    let cancelled = false;
    void loadUPlot().then(
      (UPlot) => {
        if (cancelled) return;
        const made = new UPlot(chartOptions(element.clientWidth || 600), history.columns(), element);
        plot = made;
        chart.current = made;
        resize = new ResizeObserver(() => {
          if (element.clientWidth > 0) made.setSize({ width: element.clientWidth, height: CHART_HEIGHT_PX });
        });
        resize.observe(element);
        setDrawnFor(scheme);
      },
      (error: unknown) => {
        // Its chunk could not be fetched (offline, a deploy replaced it): the numbers below still tell the lag.
        if (!cancelled) setFailed(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      cancelled = true;
      resize?.disconnect();
      plot?.destroy();
      chart.current = null;
    };
  }, [scheme]);

  // `version` says the history changed.
  useEffect(() => {
    chart.current?.setData(history.columns());
  }, [version]);

  const last = history.last;
  return (
    <figure
      class="lag-chart"
      data-points={history.size}
      data-last-lag={last ?? ""}
      data-scheme={drawnFor ?? undefined}
    >
      <div ref={box} class="lag-chart-canvas" role="img" aria-label="Total lag over time" />
      <figcaption class="muted">
        {failed === null ? null : `The chart could not be drawn (${failed}). `}
        {last === undefined
          ? "Sampling the lag…"
          : `Total lag now ${formatCount(last)}; ${history.size} sample${history.size === 1 ? "" : "s"} since this page opened (at most ${history.capacity} kept).`}
      </figcaption>
    </figure>
  );
}
