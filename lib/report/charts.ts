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
}

/** Colour-blind-safe palette (Okabe-Ito), in the order lines are coloured. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

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
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chart.title, anchor: 'start', fontSize: 15, fontWeight: 'bold' },
    width: chart.width ?? 400,
    height: chart.height ?? 250,
    background: '#ffffff',
    padding: 8,
    data: { values: chart.points.map((p) => ({ x: p.x, y: p.y, series: p.series })) },
    mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2.2, interpolate: 'linear' },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: chart.xTitle,
        scale: chart.xLog ? { type: 'log', nice: false } : { zero: false, nice: false },
        axis: chart.xLog
          ? { values: [...new Set(xs)].sort((a, b) => a - b), grid: true }
          : integerX && span > 0 && span <= 20
            ? { tickMinStep: 1, format: 'd' }
            : {},
      },
      y: { field: 'y', type: 'quantitative', title: chart.yTitle, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: chart.seriesTitle,
        scale: { domain: order, range: PALETTE },
        legend: { orient: chart.legend ?? 'bottom', direction: chart.legend === 'right' ? 'vertical' : 'horizontal', columns: chart.legend === 'right' ? 1 : 2, symbolType: 'stroke', symbolStrokeWidth: 3, labelLimit: 320 },
      },
      order: { field: 'x', type: 'quantitative' },
    },
    config: {
      font: FONT,
      view: { stroke: '#888888' },
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6', domainColor: '#666666', tickColor: '#666666' },
      legend: { labelFontSize: 11, titleFontSize: 12 },
    },
  };
}
