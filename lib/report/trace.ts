// SPDX-License-Identifier: MIT
/**
 * Training traces: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of the embeddings of each layer (or run) at
 * each epoch, as a table, a CSV file and a report with the paper's three charts.
 */
import { formatCsv } from '../io/csv';
import { ownProperties } from '../validate';
import type { LineChart } from './charts';
import type { ReportDocument } from './html';

/** The values of one layer (or run) at one epoch. */
export interface TraceRecord {
  /** Layer or run name: one line per name in the charts. */
  layer: string;
  /** Epoch (x axis). */
  epoch: number;
  /** Rows (samples) of the embeddings. */
  rows: number;
  /** Columns (dimensions) of the embeddings. */
  cols: number;
  /** DSE(Z) in bits. */
  dse: number;
  /** DSMI(Z;Y) in bits, or null without labels. */
  dsmiY: number | null;
  /** DSMI(Z;X) in bits, or null without inputs. */
  dsmiX: number | null;
  /** Seconds spent computing this record. */
  seconds: number;
  /** Where the embeddings came from (a file path for `dse trace`), if known. */
  source?: string;
}

/** Column names of {@link traceCsv}. */
export const TRACE_CSV_HEADER = ['layer', 'epoch', 'rows', 'cols', 'dse', 'dsmi_zy', 'dsmi_zx', 'seconds'] as const;

/**
 * Sorts records by layer (in order of first appearance) then epoch.
 *
 * @example
 * ```ts
 * const sorted = sortRecords(tracker.results());
 * ```
 */
export function sortRecords(records: readonly TraceRecord[]): TraceRecord[] {
  const order = new Map<string, number>();
  for (const r of records) if (!order.has(r.layer)) order.set(r.layer, order.size);
  return [...records].sort((a, b) => order.get(a.layer)! - order.get(b.layer)! || a.epoch - b.epoch);
}

/**
 * The records as CSV text (full precision; empty cells for missing DSMI values).
 *
 * @example
 * ```ts
 * fs.writeFileSync('trace.csv', traceCsv(records));
 * ```
 */
export function traceCsv(records: readonly TraceRecord[]): string {
  return formatCsv(
    [...TRACE_CSV_HEADER],
    sortRecords(records).map((r) => [r.layer, r.epoch, r.rows, r.cols, r.dse, r.dsmiY, r.dsmiX, r.seconds]),
  );
}

function chart(records: TraceRecord[], pick: (r: TraceRecord) => number | null, title: string, caption: string, seriesTitle: string): LineChart | null {
  const points = records.filter((r) => pick(r) !== null).map((r) => ({ x: r.epoch, y: pick(r)!, series: r.layer }));
  if (points.length === 0) return null;
  return { title, xTitle: 'Epoch', yTitle: `${title} (bits)`, seriesTitle, points, caption };
}

/** What a trace report says besides the records. */
export interface TraceReportOptions {
  /** Page title. Default 'DSE / DSMI during training'. */
  title?: string;
  /** A line under the title. */
  subtitle?: string;
  /** Paragraphs of text before the charts. */
  paragraphs?: string[];
  /** Legend title. Default 'Layer / run'. */
  seriesTitle?: string;
  /** The options the values were computed with. */
  options?: Record<string, unknown>;
  /** Facts about the run (data, sizes, versions). */
  meta?: Record<string, unknown>;
}

/**
 * The report of a training trace: the DSE(Z), DSMI(Z;Y) and DSMI(Z;X) charts against the
 * epoch (those with values), the table of values, the options and the raw records.
 *
 * @example
 * ```ts
 * await writeReportFile('report.html', traceReport(tracker.results(), { title: 'MLP on digits' }));
 * ```
 */
export function traceReport(records: readonly TraceRecord[], reportOptions: TraceReportOptions = {}): ReportDocument {
  const options = ownProperties(reportOptions);
  const sorted = sortRecords(records);
  const seriesTitle = options.seriesTitle ?? 'Layer / run';
  const charts = [
    chart(sorted, (r) => r.dse, 'DSE(Z)', 'Diffusion spectral entropy of the embeddings: how much of the space the representation spreads over (noise-resilient).', seriesTitle),
    chart(sorted, (r) => r.dsmiY, 'DSMI(Z;Y)', 'Diffusion spectral mutual information between the embeddings and the labels.', seriesTitle),
    chart(sorted, (r) => r.dsmiX, 'DSMI(Z;X)', 'Diffusion spectral mutual information between the embeddings and the inputs (inputs clustered once, clusters reused every epoch).', seriesTitle),
  ].filter((c): c is LineChart => c !== null);
  const hasY = sorted.some((r) => r.dsmiY !== null);
  const hasX = sorted.some((r) => r.dsmiX !== null);
  const columns = ['Layer / run', 'Epoch', 'N', 'D', 'DSE(Z)', ...(hasY ? ['DSMI(Z;Y)'] : []), ...(hasX ? ['DSMI(Z;X)'] : []), 'Seconds'];
  const rows = sorted.map((r) => [
    r.layer,
    r.epoch,
    r.rows,
    r.cols,
    r.dse,
    ...(hasY ? [r.dsmiY] : []),
    ...(hasX ? [r.dsmiX] : []),
    Math.round(r.seconds * 1000) / 1000,
  ]);
  return {
    title: options.title ?? 'DSE / DSMI during training',
    subtitle: options.subtitle,
    paragraphs: options.paragraphs,
    charts,
    tables: [{ title: 'Values per epoch (bits)', columns, rows }],
    options: options.options,
    meta: options.meta,
    data: { records: sorted, options: options.options ?? {} },
  };
}
