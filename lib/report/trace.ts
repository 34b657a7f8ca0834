// SPDX-License-Identifier: MIT
/**
 * Training traces: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of the embeddings of each layer (or run) at
 * each epoch, as a table, a CSV file and a report with the paper's three charts.
 */
import { formatCsv, parseCsvFields } from '../io/csv';
import { DseError } from '../errors';
import { runMeta } from '../info';
import { ownProperties } from '../validate';
import { bitsAxisSpan, coincidingSeries, type LineChart } from './charts';
import type { ReportDocument } from './html';

/** Where a record's embeddings came from, as `dse trace` saw the file: what decides reuse on a rerun. */
export interface TraceFileStamp {
  /** Size in bytes. */
  size: number;
  /** Last modification, milliseconds since 1970 (`fs.Stats.mtimeMs`). */
  mtimeMs: number;
}

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
  /** Rows DSE(Z) used: `rows`, or `maxN` when more rows were randomly subsampled down to it. */
  rowsUsed?: number;
  /** The source file's size and modification time when it was read (`dse trace`). */
  file?: TraceFileStamp;
  /** Fingerprint of the options and data (labels, inputs) the values were computed with (DseTracker#fingerprint). */
  options?: string;
}

/** An entry that could not be computed (e.g. a truncated file): kept in the table, CSV and report. */
export interface TraceFailure {
  /** Layer or run name. */
  layer: string;
  /** Epoch. */
  epoch: number;
  /** The message of the error. */
  error: string;
  /** Where the embeddings came from, if known. */
  source?: string;
  /** The source file's size and modification time when it was tried. */
  file?: TraceFileStamp;
  /** Fingerprint of the options it was tried with. */
  options?: string;
}

/** Column names of {@link traceCsv}. */
export const TRACE_CSV_HEADER = [
  'layer',
  'epoch',
  'rows',
  'cols',
  'dse',
  'dsmi_zy',
  'dsmi_zx',
  'seconds',
  'rows_used',
  'source',
  'size',
  'mtime_ms',
  'options',
  'error',
] as const;

/**
 * Sorts records by layer (in order of first appearance) then epoch.
 *
 * @example
 * ```ts
 * const sorted = sortRecords(tracker.results());
 * ```
 */
export function sortRecords<T extends { layer: string; epoch: number }>(records: readonly T[]): T[] {
  const order = new Map<string, number>();
  for (const r of records) if (!order.has(r.layer)) order.set(r.layer, order.size);
  return [...records].sort((a, b) => order.get(a.layer)! - order.get(b.layer)! || a.epoch - b.epoch);
}

function isFailure(r: TraceRecord | TraceFailure): r is TraceFailure {
  return typeof (r as TraceFailure).error === 'string';
}

/** A column of a trace's values table: the field it shows. */
export type TraceColumn =
  'layer' | 'epoch' | 'rows' | 'rowsUsed' | 'cols' | 'dse' | 'dsmiY' | 'dsmiX' | 'seconds' | 'error';

const REPORT_HEADERS: Record<TraceColumn, string> = {
  layer: 'Layer / run',
  epoch: 'Epoch',
  rows: 'N',
  rowsUsed: 'N used *',
  cols: 'D',
  dse: 'DSE(Z)',
  dsmiY: 'DSMI(Z;Y)',
  dsmiX: 'DSMI(Z;X)',
  seconds: 'Seconds',
  error: 'Error',
};

/**
 * The values table of a trace, as the terminal and the report show it: records and failures in
 * layer (first seen) then epoch order; N used, either DSMI, and the error only where an entry has
 * one. A failure has its layer, epoch and error, and null elsewhere.
 */
export function traceTableRows(
  records: readonly TraceRecord[],
  failures: readonly TraceFailure[],
  withSeconds: boolean,
): { columns: TraceColumn[]; rows: (string | number | null)[][] } {
  const some = (has: (r: TraceRecord) => boolean) => records.some(has);
  const columns: TraceColumn[] = [
    'layer',
    'epoch',
    'rows',
    ...(some((r) => r.rowsUsed !== undefined && r.rowsUsed < r.rows) ? (['rowsUsed'] as const) : []),
    'cols',
    'dse',
    ...(some((r) => r.dsmiY !== null) ? (['dsmiY'] as const) : []),
    ...(some((r) => r.dsmiX !== null) ? (['dsmiX'] as const) : []),
    ...(withSeconds ? (['seconds'] as const) : []),
    ...(failures.length ? (['error'] as const) : []),
  ];
  const cell = (r: TraceRecord | TraceFailure, c: TraceColumn): string | number | null => {
    if (c === 'layer' || c === 'epoch') return r[c];
    if (isFailure(r)) return c === 'error' ? r.error : null;
    if (c === 'rowsUsed') return r.rowsUsed ?? r.rows;
    if (c === 'seconds') return Math.round(r.seconds * 1000) / 1000;
    return c === 'error' ? null : r[c];
  };
  const rows = sortRecords<TraceRecord | TraceFailure>([...records, ...failures]).map((r) =>
    columns.map((c) => cell(r, c)),
  );
  return { columns, rows };
}

/**
 * One line of {@link traceCsv} (no header), for appending a record or a failure as it comes.
 *
 * @example
 * ```ts
 * fs.appendFileSync('trace.csv', traceCsvLine(record));
 * ```
 */
export function traceCsvLine(r: TraceRecord | TraceFailure): string {
  const cells = isFailure(r)
    ? [
        r.layer,
        r.epoch,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        r.source,
        r.file?.size,
        r.file?.mtimeMs,
        r.options,
        r.error.replace(/\s*\n\s*/g, ' '),
      ]
    : [
        r.layer,
        r.epoch,
        r.rows,
        r.cols,
        r.dse,
        r.dsmiY,
        r.dsmiX,
        r.seconds,
        r.rowsUsed,
        r.source,
        r.file?.size,
        r.file?.mtimeMs,
        r.options,
        null,
      ];
  return formatCsv([], [cells]).slice(1);
}

/**
 * The records (and failures) as CSV text: full precision, empty cells for missing values. The
 * columns are {@link TRACE_CSV_HEADER}; `parseTraceCsv` reads it back.
 *
 * @example
 * ```ts
 * fs.writeFileSync('trace.csv', traceCsv(records));
 * ```
 */
export function traceCsv(records: readonly TraceRecord[], failures: readonly TraceFailure[] = []): string {
  return `${TRACE_CSV_HEADER.join(',')}\n${sortRecords<TraceRecord | TraceFailure>([...records, ...failures])
    .map(traceCsvLine)
    .join('')}`;
}

/** A text cell as written by formatCsv: the apostrophe it put before formula-like text removed. */
function unquoteText(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

function csvNumber(cell: string, what: string, where: string, line: number): number | null {
  if (cell.trim() === '') return null;
  const v = Number(cell);
  if (!Number.isFinite(v))
    throw new DseError(
      'ERR_DSE_FORMAT',
      `Expected a number for ${what} in ${where} but received ${JSON.stringify(cell)} at line ${line}`,
    );
  return v;
}

/**
 * Reads the text of {@link traceCsv} back (also files appended to by `dse trace`). Columns are
 * found by name, so older files with fewer columns are read too.
 *
 * @param text - the CSV text
 * @param where - how to name it in error messages (e.g. the file path)
 * @example
 * ```ts
 * const { records, failures } = parseTraceCsv(fs.readFileSync('trace.csv', 'utf8'), 'trace.csv');
 * ```
 */
export function parseTraceCsv(
  text: string,
  where = 'the trace CSV',
): { records: TraceRecord[]; failures: TraceFailure[] } {
  const rows = parseCsvFields(text);
  const header = rows.shift() ?? [];
  const col = new Map(header.map((h, i) => [h.trim(), i]));
  for (const need of ['layer', 'epoch', 'dse'])
    if (!col.has(need))
      throw new DseError(
        'ERR_DSE_FORMAT',
        `Expected a trace CSV with a "${need}" column in ${where} but its header is ` +
          `${JSON.stringify(header.join(','))}`,
      );
  const records: TraceRecord[] = [];
  const failures: TraceFailure[] = [];
  rows.forEach((cells, i) => {
    const line = i + 2;
    if (cells.length === 1 && cells[0] === '') return;
    const text = (name: string) => (col.has(name) ? (cells[col.get(name)!] ?? '') : '');
    const num = (name: string) => csvNumber(text(name), name, where, line);
    const layer = unquoteText(text('layer'));
    const epoch = num('epoch');
    if (epoch === null) throw new DseError('ERR_DSE_FORMAT', `Expected an epoch in ${where} but line ${line} has none`);
    const source = unquoteText(text('source'));
    const size = num('size');
    const mtimeMs = num('mtime_ms');
    const extra = {
      ...(source ? { source } : {}),
      ...(size !== null && mtimeMs !== null ? { file: { size, mtimeMs } } : {}),
      ...(text('options') ? { options: unquoteText(text('options')) } : {}),
    };
    const error = unquoteText(text('error'));
    if (error) {
      failures.push({ layer, epoch, error, ...extra });
      return;
    }
    const dse = num('dse');
    if (dse === null)
      throw new DseError(
        'ERR_DSE_FORMAT',
        `Expected a value of dse or an error in ${where} but line ${line} has neither`,
      );
    const rowsUsed = num('rows_used');
    records.push({
      layer,
      epoch,
      rows: num('rows') ?? 0,
      cols: num('cols') ?? 0,
      dse,
      dsmiY: num('dsmi_zy'),
      dsmiX: num('dsmi_zx'),
      seconds: num('seconds') ?? 0,
      ...(rowsUsed !== null ? { rowsUsed } : {}),
      ...extra,
    });
  });
  return { records, failures };
}

function chart(
  records: TraceRecord[],
  pick: (r: TraceRecord) => number | null,
  title: string,
  caption: string,
  seriesTitle: string,
): LineChart | null {
  const points = records.filter((r) => pick(r) !== null).map((r) => ({ x: r.epoch, y: pick(r)!, series: r.layer }));
  if (points.length === 0) return null;
  const rows = records.reduce((n, r) => Math.max(n, r.rowsUsed ?? r.rows), 1);
  const yMinSpan = bitsAxisSpan(rows);
  // Lines closer than a hundredth of the axis are drawn on top of each other: say so.
  const together = coincidingSeries(points, yMinSpan / 100);
  const note = together
    .map((g) => ` ${g.join(' and ')} coincide (their lines overlap; the markers tell them apart).`)
    .join('');
  return { title, xTitle: 'Epoch', yTitle: `${title} (bits)`, seriesTitle, points, caption: caption + note, yMinSpan };
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
  /**
   * Several runs' options, one table each (run name -> `tracker.options()`), for a report of several trackers' records.
   */
  runOptions?: Record<string, Record<string, unknown>>;
  /** Facts about the run, added to the "Run" section (date, dse-dsmi, Node and BLAS are always there). */
  meta?: Record<string, unknown>;
  /** Entries that could not be computed: a row with the error in the table. */
  failures?: readonly TraceFailure[];
}

/**
 * The report of a training trace: the DSE(Z), DSMI(Z;Y) and DSMI(Z;X) charts against the
 * epoch (those with values; y axes from 0 and at least {@link bitsAxisSpan} wide), the table of
 * values (with failures and a note on subsampled rows), the options, the "Run" section and the raw records.
 *
 * @example
 * ```ts
 * await writeReportFile('report.html', traceReport([...a.results(), ...b.results()],
 *   { runOptions: { 'true labels': a.options(), shuffled: b.options() } }));
 * ```
 */
export function traceReport(records: readonly TraceRecord[], reportOptions: TraceReportOptions = {}): ReportDocument {
  const options = ownProperties(reportOptions);
  const sorted = sortRecords(records);
  const failures = sortRecords(options.failures ?? []);
  const seriesTitle = options.seriesTitle ?? 'Layer / run';
  const charts = [
    chart(
      sorted,
      (r) => r.dse,
      'DSE(Z)',
      'Diffusion spectral entropy of the embeddings: how much of the space the representation spreads over ' +
        '(noise-resilient).',
      seriesTitle,
    ),
    chart(
      sorted,
      (r) => r.dsmiY,
      'DSMI(Z;Y)',
      'Diffusion spectral mutual information between the embeddings and the labels.',
      seriesTitle,
    ),
    chart(
      sorted,
      (r) => r.dsmiX,
      'DSMI(Z;X)',
      'Diffusion spectral mutual information between the embeddings and the inputs (inputs clustered once, clusters ' +
        'reused every epoch).',
      seriesTitle,
    ),
  ].filter((c): c is LineChart => c !== null);
  const subsampled = sorted.filter((r) => r.rowsUsed !== undefined && r.rowsUsed < r.rows);
  const table = traceTableRows(sorted, failures, true);
  const columns = table.columns.map((c) => REPORT_HEADERS[c]);
  const rows = table.rows;
  const subsampledWhich =
    subsampled.length === sorted.length ? 'every entry' : `${subsampled.length} of ${sorted.length} entries`;
  const notes = [
    ...(subsampled.length
      ? [
          `* DSE(Z) of ${subsampledWhich} ` +
            `used a random subsample of ${subsampled[0].rowsUsed} rows (maxN; seeded by randomSeed); ` +
            'DSMI subsamples clusters above 10000 rows, as the reference does.',
        ]
      : []),
    ...(failures.length
      ? [
          `${failures.length} ${failures.length === 1 ? 'entry' : 'entries'} could not be computed: see the Error ` +
            `column.`,
        ]
      : []),
  ];
  return {
    title: options.title ?? 'DSE / DSMI during training',
    subtitle: options.subtitle,
    paragraphs: options.paragraphs,
    charts,
    tables: [{ title: 'Values per epoch (bits)', columns, rows, ...(notes.length ? { notes } : {}) }],
    options: options.options,
    runOptions: options.runOptions,
    meta: {
      ...runMeta(),
      records: sorted.length,
      ...(failures.length ? { failures: failures.length } : {}),
      ...options.meta,
    },
    data: {
      records: sorted,
      ...(failures.length ? { failures } : {}),
      options: options.options ?? {},
      ...(options.runOptions ? { runOptions: options.runOptions } : {}),
    },
  };
}
