// SPDX-License-Identifier: MIT
/**
 * Line charts of the report as Vega-Lite specifications (plain JSON, built here, compiled and
 * drawn by vega in ./render.ts). The look follows the paper's figures: one coloured line with
 * point markers per layer or run, the metric against the epoch, labelled axes, a legend.
 */

/** One point of a line chart. */
export interface ChartPoint {
  /** Position on the x axis (e.g. the epoch). */
  x: number;
  /** Value on the y axis (e.g. DSE in bits). */
  y: number;
  /** The line it belongs to (e.g. the layer or run name). */
  series: string;
}

/** A line chart: one line per distinct `series` of its points. */
export interface LineChart {
  /** Chart title, e.g. `'DSE(Z)'`. */
  title: string;
  /** x axis title, e.g. `'Epoch'`. */
  xTitle: string;
  /** y axis title, e.g. `'DSE(Z) (bits)'`. */
  yTitle: string;
  /** Legend title, e.g. `'Layer'`. */
  seriesTitle: string;
  /** The points; each series is drawn in x order. */
  points: ChartPoint[];
  /** A sentence under the chart. */
  caption?: string;
  /** Draw the x axis on a log scale (e.g. for sigma). Default false. */
  xLog?: boolean;
  /** Series order of the legend and colours. Default: order of first appearance. */
  seriesOrder?: string[];
  /** Drawing width in pixels (plot area). Default 420. */
  width?: number;
  /** Drawing height in pixels (plot area). Default 260. */
  height?: number;
  /** Where the legend goes. Default 'bottom' (keeps the chart narrow). */
  legend?: 'bottom' | 'right';
  /**
   * For measures in bits: the y axis then includes 0 and spans at least this much (see
   * {@link bitsAxisSpan}), so that noise of a few hundredths of a bit is drawn flat rather than
   * zoomed to fill the chart. Default: the axis fits the values (still rounded out to ticks).
   */
  yMinSpan?: number;
}

/**
 * The least span of the y axis of an entropy or MI chart of N rows: 0.25 bits, or 5% of
 * log2(N) (the largest entropy N rows can have) when that is more.
 *
 * @example
 * ```ts
 * bitsAxisSpan(1797); // 0.54 (5% of 10.81)
 * ```
 */
export function bitsAxisSpan(rows: number): number {
  return Math.max(0.25, rows > 1 ? 0.05 * Math.log2(rows) : 0);
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) of about `rough`. */
function niceStep(rough: number): number {
  const p = 10 ** Math.floor(Math.log10(rough));
  const f = rough / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/**
 * The y domain of a chart: the values' range rounded out to round ticks (the top value never on
 * the top edge unless it is a tick); with `minSpan`, also 0 and at least `minSpan` wide.
 *
 * @example
 * ```ts
 * yDomain([-0.008, 0.018], 0.54); // [-0.02, 0.6]
 * ```
 */
export function yDomain(values: number[], minSpan?: number): [number, number] {
  let lo = values.reduce((a, v) => Math.min(a, v), Infinity);
  let hi = values.reduce((a, v) => Math.max(a, v), -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (minSpan !== undefined) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  const want = Math.max(hi - lo, minSpan ?? 0, Math.abs(hi) * 1e-6, 1e-12);
  const step = niceStep(want / 5);
  // Rounded to the step's own decimals, so that 0.1 * 3 prints as 0.3.
  const round = (v: number) => Number(v.toPrecision(12));
  let top = round(Math.ceil(hi / step) * step);
  let bottom = round(Math.floor(lo / step) * step);
  // A slightly negative minimum (DSMI noise) gets a small margin below 0, not a whole step.
  if (minSpan !== undefined && lo < 0) bottom = Math.max(bottom, -niceStep(-2 * lo));
  if (top === hi && hi !== 0) top = round(top + step); // the highest value never on the top edge
  while (top - bottom < want - 1e-12) top = round(top + step);
  return [bottom, top];
}

/** Series whose points all lie within `tolerance` of another series' (same x values): drawn on top of each other. */
export function coincidingSeries(points: ChartPoint[], tolerance: number): string[][] {
  const bySeries = new Map<string, Map<number, number>>();
  for (const p of points) {
    if (!bySeries.has(p.series)) bySeries.set(p.series, new Map());
    bySeries.get(p.series)!.set(p.x, p.y);
  }
  const names = [...bySeries.keys()];
  const groups: string[][] = [];
  const taken = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    if (taken.has(names[i])) continue;
    const a = bySeries.get(names[i])!;
    const group = [names[i]];
    for (let j = i + 1; j < names.length; j++) {
      const b = bySeries.get(names[j])!;
      if (b.size !== a.size || taken.has(names[j])) continue;
      if ([...a].every(([x, y]) => b.has(x) && Math.abs(b.get(x)! - y) <= tolerance)) group.push(names[j]);
    }
    if (group.length > 1) {
      group.forEach((g) => taken.add(g));
      groups.push(group);
    }
  }
  return groups;
}

/** Colour-blind-safe palette (Okabe-Ito), in the order lines are coloured. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

/** Marker shapes, one per series, so that lines drawn on top of each other still show each marker. */
export const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'triangle-down', 'cross', 'triangle-left', 'triangle-right'];

/** Fonts installed almost everywhere, DejaVu Sans first (the only one on many Linux boxes). */
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/**
 * The Vega-Lite specification of a line chart (data inlined, no URLs).
 *
 * @param chart - title, axis titles and points
 * @returns a Vega-Lite v6 top-level specification
 * @example
 * ```ts
 * const spec = lineChartSpec({ title: 'DSE(Z)', xTitle: 'Epoch', yTitle: 'bits', seriesTitle: 'Layer',
 *   points: [{ x: 1, y: 3.2, series: 'fc1' }, { x: 2, y: 3.9, series: 'fc1' }] });
 * ```
 */
export function lineChartSpec(chart: LineChart): Record<string, unknown> {
  const order = chart.seriesOrder ?? [...new Set(chart.points.map((p) => p.series))];
  const xs = chart.points.map((p) => p.x);
  const integerX = xs.every((x) => Number.isInteger(x));
  const span = xs.length ? xs.reduce((a, x) => (x > a ? x : a), -Infinity) - xs.reduce((a, x) => (x < a ? x : a), Infinity) : 0;
  const ys = chart.points.map((p) => p.y);
  const domain = yDomain(ys, chart.yMinSpan);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: chart.xTitle,
    scale: chart.xLog ? { type: 'log', nice: false } : { zero: false, nice: false },
    axis: chart.xLog
      ? { values: [...new Set(xs)].sort((a, b) => a - b), grid: true }
      : integerX && span > 0 && span <= 20
        ? { tickMinStep: 1, format: 'd' }
        : {},
  };
  const y = { field: 'y', type: 'quantitative', title: chart.yTitle, scale: { domain, nice: false, zero: false } };
  const color = {
    field: 'series',
    type: 'nominal',
    title: chart.seriesTitle,
    scale: { domain: order, range: PALETTE },
    legend: { orient: chart.legend ?? 'bottom', direction: chart.legend === 'right' ? 'vertical' : 'horizontal', columns: chart.legend === 'right' ? 1 : 2, labelLimit: 320 },
  };
  const shape = { field: 'series', type: 'nominal', title: chart.seriesTitle, scale: { domain: order, range: SHAPES } };
  // Marker sizes alternate large and small, so that a marker drawn on another leaves it showing.
  const size = { field: 'series', type: 'ordinal', title: chart.seriesTitle, scale: { domain: order, range: order.map((_s, i) => (i % 2 === 0 ? 80 : 30)) } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chart.title, anchor: 'start', fontSize: 15, fontWeight: 'bold' },
    width: chart.width ?? 400,
    height: chart.height ?? 250,
    background: '#ffffff',
    padding: 8,
    data: { values: chart.points.map((p) => ({ x: p.x, y: p.y, series: p.series })) },
    encoding: { x, y, color },
    // Lines, then open markers of a shape per series on top: series drawn on the same values
    // stay distinguishable by their markers.
    layer: [
      { mark: { type: 'line', strokeWidth: 2.2, interpolate: 'linear' }, encoding: { order: { field: 'x', type: 'quantitative' } } },
      { mark: { type: 'point', filled: false, strokeWidth: 1.8, opacity: 1 }, encoding: { shape, size } },
    ],
    config: {
      font: FONT,
      view: { stroke: '#888888' },
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6', domainColor: '#666666', tickColor: '#666666' },
      legend: { labelFontSize: 11, titleFontSize: 12 },
    },
  };
}
