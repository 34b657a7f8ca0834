// SPDX-License-Identifier: MIT
/**
 * Reports: self-contained HTML pages with line charts (Vega-Lite, drawn to SVG in Node) and
 * tables, for training traces (DseTracker, `dse trace`) and the demo.
 *
 * @example
 * ```ts
 * import { traceReport, writeReportFile } from './report';
 * await writeReportFile('report.html', traceReport(records));
 * ```
 */
export { lineChartSpec, bitsAxisSpan, yDomain, PALETTE, SHAPES, type ChartPoint, type LineChart } from './charts';
export { renderLineCharts, renderVegaLite, type RenderControl } from './render';
export { reportHtml, renderReport, writeReportFile, escapeHtml, type ReportDocument, type ReportTable } from './html';
export {
  traceReport,
  traceCsv,
  traceCsvLine,
  parseTraceCsv,
  sortRecords,
  TRACE_CSV_HEADER,
  type TraceRecord,
  type TraceFailure,
  type TraceFileStamp,
  type TraceReportOptions,
} from './trace';
