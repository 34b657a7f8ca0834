// SPDX-License-Identifier: MIT
/**
 * The report as one self-contained HTML file: inline CSS, the charts as inline SVG, the tables,
 * the options used and the raw results as embedded JSON. No scripts run, nothing is fetched:
 * it opens offline, in any browser, from an e-mail attachment or a CI artifact.
 */
import { writeFileAtomic } from '../io/atomic';
import { abortError } from '../native';
import type { LineChart } from './charts';
import { prefixSvgIds, renderLineCharts, type RenderControl } from './render';

/** A table of the report. */
export interface ReportTable {
  /** Heading above the table. */
  title: string;
  /** Column headings. */
  columns: string[];
  /** One array of cells per row; numbers are shown with `digits` decimals, null as an empty cell. */
  rows: (string | number | null)[][];
  /** Decimals for numbers that are not integers. Default 4. */
  digits?: number;
  /** A sentence under the heading. */
  caption?: string;
  /** Sentences under the table (e.g. what a marked value means). */
  notes?: string[];
}

/** Everything a report shows. */
export interface ReportDocument {
  /** Page title and main heading. */
  title: string;
  /** A line under the heading. */
  subtitle?: string;
  /** Paragraphs of plain text before the charts. */
  paragraphs?: string[];
  /** The line charts, drawn in this order. */
  charts: LineChart[];
  /** The tables, after the charts. */
  tables: ReportTable[];
  /** The options the values were computed with (shown as a table). */
  options?: Record<string, unknown>;
  /** Several runs' options, one table per run (name -> options), after `options`. */
  runOptions?: Record<string, Record<string, unknown>>;
  /** Facts about the run: data, sizes, machine, versions (shown as a table). */
  meta?: Record<string, unknown>;
  /** Machine-readable results, embedded as JSON in `<script type="application/json" id="dse-data">`. */
  data?: unknown;
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function formatCell(v: string | number | null, digits: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  return v;
}

function formatValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return '';
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function table(t: ReportTable): string {
  const digits = t.digits ?? 4;
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = r.map((v) => {
        const numeric = typeof v === 'number';
        // Long text (an error message) wraps; everything else stays on one line.
        const cls = numeric ? ' class="num"' : typeof v === 'string' && v.length > 40 ? ' class="long"' : '';
        return `<td${cls}>${escapeHtml(formatCell(v, digits))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return [
    `<section class="table"><h2>${escapeHtml(t.title)}</h2>`,
    t.caption ? `<p class="caption">${escapeHtml(t.caption)}</p>` : '',
    // The box scrolls sideways on a narrow screen, not the page.
    `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`,
    ...(t.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    '</section>',
  ].join('\n');
}

function keyValues(title: string, values: Record<string, unknown>): string {
  const rows = Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td><code>${escapeHtml(formatValue(v))}</code></td></tr>`)
    .join('\n');
  return `<section class="table"><h2>${escapeHtml(title)}</h2><div class="scroll"><table class="kv"><tbody>\n${rows}\n</tbody></table></div></section>`;
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no HTML comments). */
function scriptJson(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1);
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const CSS = `
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px clamp(8px, 4vw, 32px); color: #1b1b1b; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 22px 0 8px; }
p.subtitle { margin: 0 0 12px; color: #555; }
p { max-width: 980px; line-height: 1.45; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 28px; }
figure.chart { margin: 8px 0; max-width: 100%; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #444; max-width: 560px; margin-top: 4px; }
div.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
p.note { font-size: 12px; color: #555; margin: 6px 0 0; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; white-space: nowrap; }
td.long { white-space: normal; min-width: 24em; max-width: 48em; }
thead th { border-bottom: 2px solid #999; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: normal; color: #444; }
p.caption { font-size: 13px; color: #444; margin: 0 0 6px; }
footer { margin-top: 28px; font-size: 12px; color: #777; }
`;

/**
 * Assembles the HTML page from a document and its charts already drawn as SVG.
 *
 * @param doc - what the report shows
 * @param svgs - one SVG string per chart of `doc.charts`, in order
 * @returns the complete HTML page
 * @example
 * ```ts
 * const html = reportHtml(doc, await renderLineCharts(doc.charts));
 * ```
 */
export function reportHtml(doc: ReportDocument, svgs: string[]): string {
  const figures = doc.charts.map((c, i) => {
    const id = `chart-${i + 1}`;
    const series = new Set(c.points.map((p) => p.series)).size;
    // The figure takes the drawing's width, so that its caption wraps under the chart.
    const width = svgs[i].match(/^<svg[^>]*\swidth="([\d.]+)"/)?.[1];
    const style = width ? ` style="width: ${Math.ceil(Number(width))}px"` : '';
    return [
      `<figure class="chart" id="${id}" data-series="${series}" data-points="${c.points.length}"${style}>`,
      prefixSvgIds(svgs[i], id),
      c.caption ? `<figcaption>${escapeHtml(c.caption)}</figcaption>` : '',
      '</figure>',
    ].join('\n');
  });
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="dse-dsmi">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
    doc.subtitle ? `<p class="subtitle">${escapeHtml(doc.subtitle)}</p>` : '',
    ...(doc.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`),
    `<div class="charts">\n${figures.join('\n')}\n</div>`,
    ...doc.tables.map(table),
    doc.options ? keyValues('Options used', doc.options) : '',
    ...Object.entries(doc.runOptions ?? {}).map(([name, o]) => keyValues(`Options used: ${name}`, o)),
    doc.meta ? keyValues('Run', doc.meta) : '',
    doc.data !== undefined ? `<script type="application/json" id="dse-data">${scriptJson(doc.data)}</script>` : '',
    '<footer>Made with dse-dsmi (Diffusion Spectral Entropy and Mutual Information; Liao, Liu et al., ICML 2023 TAG-ML workshop / CISS 2024).</footer>',
    '</body>',
    '</html>',
    '',
  ];
  return parts.filter((p) => p !== '').join('\n');
}

/**
 * Draws the charts and assembles the HTML page.
 *
 * @param doc - what the report shows
 * @returns the complete, self-contained HTML page
 * @example
 * ```ts
 * const html = await renderReport({ title: 'DSE', charts: [chart], tables: [] });
 * ```
 */
export async function renderReport(doc: ReportDocument, control: RenderControl = {}): Promise<string> {
  return reportHtml(doc, await renderLineCharts(doc.charts, control));
}

/**
 * Draws the report and writes it to `file` atomically.
 *
 * @param file - destination (.html)
 * @param doc - what the report shows
 * @param control - `signal` aborts the drawing (nothing is written), `onProgress` counts the charts drawn
 * @returns the number of bytes written
 * @example
 * ```ts
 * await writeReportFile('report.html', doc);
 * ```
 */
export async function writeReportFile(file: string, doc: ReportDocument, control: RenderControl = {}): Promise<number> {
  const bytes = new TextEncoder().encode(await renderReport(doc, control));
  if (control.signal?.aborted) throw abortError(control.signal);
  writeFileAtomic(file, bytes);
  return bytes.length;
}
